package dev.starling.peer.cli;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import dev.starling.tensor.cpu.Gemm;
import dev.starling.tensor.cpu.ParallelFor;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench gemm}: Starling's {@link Gemm#sgemm} against OpenBLAS (the system
 * {@code libblas.so.3}, through netlib-java's JNI binding) at the GPT's matmul shapes, side by side
 * in one process with the same thread count. Per shape it alternates timed blocks of the two
 * libraries and reports GFLOP/s from the median call; the totals are the flops of all shapes over
 * the sum of their median times. Progress on stderr, one JSON line on stdout. Without OpenBLAS it
 * reports {@code openblas_gflops: null}. Runs on the command's thread plus the worker teams.
 */
@Command(name = "gemm", mixinStandardHelpOptions = true,
        description = "SGEMM at the model's shapes: Starling's Vector API kernel vs OpenBLAS, same threads.")
public final class BenchGemmCommand implements Callable<Integer> {
    /**
     * OpenBLAS workers busy-wait for a while after each call (its THREAD_TIMEOUT); on a 2-core
     * machine that steals a core from whatever runs next, so each block starts after this pause.
     */
    private static final long SETTLE_MILLIS = 300;
    /** Blocks per library per shape, interleaved S, O, S, O. */
    private static final int ROUNDS = 2;
    private static final ThreadMXBean THREAD_MX = ManagementFactory.getThreadMXBean();

    /** GPT 4 layers, 256 channels, vocab 512, B*T = 1024: forward (M, K, N) of each matmul. */
    private static final String[] LAYERS = {"qkv", "attn_proj", "mlp_fc", "mlp_proj", "lm_head"};
    private static final int[][] FORWARD_MKN = {
        {1024, 256, 768}, {1024, 256, 256}, {1024, 256, 1024}, {1024, 1024, 256}, {1024, 256, 512}};

    @Option(names = "--threads", defaultValue = "2",
            description = "Threads for both libraries (default ${DEFAULT-VALUE}).")
    private int threads;

    @Option(names = "--warmup", defaultValue = "5", description = "Untimed calls per shape and library before timing.")
    private int warmup;

    @Option(names = "--iterations", defaultValue = "10",
            description = "Timed calls per block, two blocks per library (default ${DEFAULT-VALUE}).")
    private int iterations;

    @Option(names = "--shapes", split = ",", paramLabel = "SHAPE",
            description = "Shapes to run: names such as qkv.forward, mlp_proj.dX, lm_head.dW (default: all 15),"
                    + " or MxNxK with an optional :NN, :NT, :TN or :TT for transA/transB.")
    private List<String> shapeNames;

    @Option(names = "--clock", defaultValue = "wall",
            description = "wall (default) or cpu: the calling thread's CPU time, which ignores time stolen by other"
                    + " processes on a shared machine; only with --threads 1, where both libraries run on this thread.")
    private String clock;

    @Option(names = "--no-reference", description = "Skip timing the scalar reference on the first shape.")
    private boolean noReference;

    /** One SGEMM problem: C[m,n] = op(A) op(B) (+ beta C). */
    record Shape(String name, int m, int n, int k, boolean transA, boolean transB, float beta) {
        double flops() {
            return 2.0 * m * n * k;
        }
    }

    @Override
    public Integer call() {
        validate();
        List<Shape> shapes = selectShapes();
        PrintStream err = System.err;
        Optional<OpenBlas> openBlas = OpenBlas.load(threads, err);
        List<Map<String, Object>> rows = new ArrayList<>();
        double flops = 0;
        double starlingSeconds = 0;
        double openBlasSeconds = 0;
        double starlingBestSeconds = 0;
        double openBlasBestSeconds = 0;
        Map<String, Object> reference = null;
        try (ParallelFor pool = new ParallelFor(threads)) {
            List<Operands> operands = new ArrayList<>();
            for (Shape shape : shapes) {
                operands.add(Operands.random(shape));
            }
            // One warm-up pass over every shape first, so that the JIT has compiled all the code paths
            // (each transpose variant) before the first shape is timed.
            err.println("warming up (" + warmup + " calls per shape)");
            for (int i = 0; i < shapes.size(); i++) {
                for (int w = 0; w < warmup; w++) {
                    starlingCall(shapes.get(i), operands.get(i), pool);
                }
            }
            for (int i = 0; i < shapes.size(); i++) {
                Shape shape = shapes.get(i);
                Operands x = operands.get(i);
                double[] medians = measure(shape, x, pool, openBlas.orElse(null), err);
                flops += shape.flops();
                starlingSeconds += medians[0];
                openBlasSeconds += medians[1];
                starlingBestSeconds += medians[2];
                openBlasBestSeconds += medians[3];
                rows.add(row(shape, x, medians));
            }
            if (!noReference) {
                reference = measureReference(shapes.getFirst(), (Double) rows.getFirst().get("starling_gflops"),
                        pool, err);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("bench", "gemm");
        out.put("threads", threads);
        out.put("clock", clock);
        out.put("lanes", jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.length());
        double starlingGflops = flops / starlingSeconds / 1e9;
        out.put("starling_gflops", round(starlingGflops));
        Double openBlasGflops = openBlas.isPresent() ? flops / openBlasSeconds / 1e9 : null;
        out.put("openblas_gflops", openBlasGflops == null ? null : round(openBlasGflops));
        out.put("ratio", openBlasGflops == null ? null : round3(starlingGflops / openBlasGflops));
        // Best-of: each shape's fastest call. Other processes only ever slow a call down, so on a
        // shared machine this is the steadier comparison; the median above is the headline.
        double starlingBest = flops / starlingBestSeconds / 1e9;
        out.put("starling_best_gflops", round(starlingBest));
        Double openBlasBest = openBlas.isPresent() ? flops / openBlasBestSeconds / 1e9 : null;
        out.put("openblas_best_gflops", openBlasBest == null ? null : round(openBlasBest));
        out.put("ratio_best", openBlasBest == null ? null : round3(starlingBest / openBlasBest));
        out.put("openblas", openBlas.map(OpenBlas::describe).orElse(null));
        out.put("warmup", warmup);
        out.put("iterations", iterations * ROUNDS);
        out.put("reference", reference);
        out.put("shapes", rows);
        err.printf("total (median): starling %.1f GFLOP/s, openblas %s GFLOP/s; best-of: starling %.1f, openblas %s%n",
                starlingGflops, openBlasGflops == null ? "n/a" : String.format("%.1f", openBlasGflops), starlingBest,
                openBlasBest == null ? "n/a" : String.format("%.1f", openBlasBest));
        JsonResult.print(System.out, out);
        return 0;
    }

    private void validate() {
        if (threads < 1 || threads > 1024) {
            throw new UserError("--threads must be between 1 and 1024, got " + threads);
        }
        if (warmup < 0) {
            throw new UserError("--warmup must be 0 or more, got " + warmup);
        }
        if (iterations < 1) {
            throw new UserError("--iterations must be at least 1, got " + iterations);
        }
        if (!clock.equals("wall") && !clock.equals("cpu")) {
            throw new UserError("--clock must be wall or cpu, got '" + clock + "'");
        }
        if (clock.equals("cpu") && threads != 1) {
            throw new UserError("--clock cpu needs --threads 1 (CPU time of one thread says nothing about a team);"
                    + " got --threads " + threads);
        }
    }

    /** Runs interleaved timed blocks; returns median and best seconds per call: Starling, OpenBLAS, same. */
    private double[] measure(Shape s, Operands x, ParallelFor pool, OpenBlas blas, PrintStream err) {
        double[] starling = new double[iterations * ROUNDS];
        double[] open = new double[iterations * ROUNDS];
        for (int i = 0; i < warmup; i++) {
            starlingCall(s, x, pool);
        }
        for (int round = 0; round < ROUNDS; round++) {
            settle(blas);
            for (int i = 0; i < iterations; i++) {
                long t0 = now();
                starlingCall(s, x, pool);
                starling[round * iterations + i] = (now() - t0) * 1e-9;
            }
            if (blas != null) {
                for (int i = 0; round == 0 && i < warmup; i++) {
                    blas.sgemm(s, x);
                }
                for (int i = 0; i < iterations; i++) {
                    long t0 = now();
                    blas.sgemm(s, x);
                    open[round * iterations + i] = (now() - t0) * 1e-9;
                }
            }
        }
        double sMedian = median(starling);
        double oMedian = blas == null ? Double.NaN : median(open);
        x.spreadStarling = new double[] {s.flops() / max(starling) / 1e9, s.flops() / min(starling) / 1e9};
        x.spreadOpenBlas = blas == null ? null
                : new double[] {s.flops() / max(open) / 1e9, s.flops() / min(open) / 1e9};
        err.printf("%-18s m=%4d n=%4d k=%4d %s%s  starling %6.1f GFLOP/s  openblas %s%n", s.name(), s.m(), s.n(),
                s.k(), s.transA() ? "T" : "N", s.transB() ? "T" : "N", s.flops() / sMedian / 1e9,
                blas == null ? "n/a" : String.format("%6.1f GFLOP/s", s.flops() / oMedian / 1e9));
        return new double[] {sMedian, oMedian, min(starling), blas == null ? Double.NaN : min(open)};
    }

    private long now() {
        return clock.equals("cpu") ? THREAD_MX.getCurrentThreadCpuTime() : System.nanoTime();
    }

    private void settle(OpenBlas blas) {
        if (blas == null) {
            return;
        }
        try {
            Thread.sleep(SETTLE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void starlingCall(Shape s, Operands x, ParallelFor pool) {
        Gemm.sgemm(pool, s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, x.a, 0, x.lda, x.b, 0, x.ldb,
                s.beta(), x.c, 0, s.n());
    }

    private Map<String, Object> row(Shape s, Operands x, double[] medians) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", s.name());
        r.put("m", s.m());
        r.put("n", s.n());
        r.put("k", s.k());
        r.put("trans", (s.transA() ? "T" : "N") + (s.transB() ? "T" : "N"));
        r.put("beta", s.beta());
        double sg = s.flops() / medians[0] / 1e9;
        r.put("starling_gflops", round(sg));
        r.put("starling_min_max", List.of(round(x.spreadStarling[0]), round(x.spreadStarling[1])));
        if (Double.isNaN(medians[1])) {
            r.put("openblas_gflops", null);
            r.put("ratio", null);
        } else {
            double og = s.flops() / medians[1] / 1e9;
            r.put("openblas_gflops", round(og));
            r.put("openblas_min_max", List.of(round(x.spreadOpenBlas[0]), round(x.spreadOpenBlas[1])));
            r.put("ratio", round3(sg / og));
        }
        return r;
    }

    /**
     * Times the scalar reference once (it is slow) on the first shape, single-threaded, and checks
     * Starling's result against it; the speed-up is over Starling's median on that shape.
     */
    private Map<String, Object> measureReference(Shape s, double starlingGflops, ParallelFor pool, PrintStream err) {
        Operands x = Operands.random(s);
        long t0 = System.nanoTime();
        Gemm.reference(s.transA(), s.transB(), s.m(), s.n(), s.k(), 1f, x.a, 0, x.lda, x.b, 0, x.ldb,
                s.beta(), x.c, 0, s.n());
        double refSeconds = (System.nanoTime() - t0) * 1e-9;
        float[] want = x.c.clone();
        Arrays.fill(x.c, 0f);
        starlingCall(s, x, pool);
        float maxDiff = 0f;
        for (int i = 0; i < want.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(want[i] - x.c[i]));
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("shape", s.name());
        double refGflops = s.flops() / refSeconds / 1e9;
        r.put("reference_gflops", round3(refGflops));
        r.put("starling_gflops", starlingGflops);
        r.put("speedup", round(starlingGflops / refGflops));
        r.put("max_abs_diff", maxDiff);
        err.printf("scalar reference on %s: %.2f GFLOP/s (1 thread), Starling %.0fx faster, max |diff| %.2g%n",
                s.name(), refGflops, starlingGflops / refGflops, maxDiff);
        return r;
    }

    private List<Shape> selectShapes() {
        List<Shape> all = new ArrayList<>();
        for (int l = 0; l < LAYERS.length; l++) {
            int bigM = FORWARD_MKN[l][0];
            int bigK = FORWARD_MKN[l][1];
            int bigN = FORWARD_MKN[l][2];
            // Y[M,N] = X[M,K] W[K,N];  dX[M,K] = dY[M,N] W^T;  dW[K,N] += X^T dY.
            all.add(new Shape(LAYERS[l] + ".forward", bigM, bigN, bigK, false, false, 0f));
            all.add(new Shape(LAYERS[l] + ".dX", bigM, bigK, bigN, false, true, 0f));
            all.add(new Shape(LAYERS[l] + ".dW", bigK, bigN, bigM, true, false, 1f));
        }
        if (shapeNames == null || shapeNames.isEmpty()) {
            return all;
        }
        List<Shape> chosen = new ArrayList<>();
        for (String name : shapeNames) {
            chosen.add(all.stream().filter(s -> s.name().equals(name)).findFirst().orElseGet(() -> parse(name)));
        }
        return chosen;
    }

    private static Shape parse(String spec) {
        String[] parts = spec.split(":", -1);
        String[] dims = parts[0].split("x", -1);
        String trans = parts.length > 1 ? parts[1] : "NN";
        if (dims.length != 3 || parts.length > 2 || !trans.matches("[NT][NT]")) {
            throw new UserError("unknown shape '" + spec + "': use a name such as qkv.forward or mlp_proj.dW,"
                    + " or MxNxK with an optional :NN/:NT/:TN/:TT, for example 1024x768x256:NT");
        }
        int[] v = new int[3];
        for (int i = 0; i < 3; i++) {
            try {
                v[i] = Integer.parseInt(dims[i]);
            } catch (NumberFormatException e) {
                throw new UserError("shape '" + spec + "': '" + dims[i] + "' is not a number", e);
            }
            if (v[i] < 1 || v[i] > 16384) {
                throw new UserError("shape '" + spec + "': each of M, N, K must be between 1 and 16384");
            }
        }
        return new Shape(spec, v[0], v[1], v[2], trans.charAt(0) == 'T', trans.charAt(1) == 'T', 0f);
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] x) {
        return Arrays.stream(x).min().orElseThrow();
    }

    private static double max(double[] x) {
        return Arrays.stream(x).max().orElseThrow();
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** The operands of one shape, filled from a fixed seed, and the spread of its timings. */
    static final class Operands {
        final float[] a;
        final float[] b;
        final float[] c;
        final int lda;
        final int ldb;
        double[] spreadStarling;
        double[] spreadOpenBlas;

        private Operands(Shape s, SplittableRandom rnd) {
            a = fill(rnd, s.m() * s.k());
            b = fill(rnd, s.k() * s.n());
            c = fill(rnd, s.m() * s.n());
            lda = s.transA() ? s.m() : s.k();
            ldb = s.transB() ? s.k() : s.n();
        }

        static Operands random(Shape s) {
            return new Operands(s, new SplittableRandom(s.m() * 1_000_003L + s.n() * 1009L + s.k()));
        }

        private static float[] fill(SplittableRandom rnd, int size) {
            float[] x = new float[size];
            for (int i = 0; i < size; i++) {
                x[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
            return x;
        }
    }

    /** OpenBLAS through netlib-java, with its thread count set through its C API. */
    static final class OpenBlas {
        private final BLAS blas;
        private final String config;
        private final int threads;

        private OpenBlas(BLAS blas, String config, int threads) {
            this.blas = blas;
            this.config = config;
            this.threads = threads;
        }

        /** Loads the system BLAS; prints one line and returns empty if it is missing or not OpenBLAS. */
        static Optional<OpenBlas> load(int threads, PrintStream err) {
            BLAS blas;
            try {
                blas = NativeBLAS.getInstance();
            } catch (RuntimeException | LinkageError e) {
                err.println("note: OpenBLAS not found (no native libblas.so.3: " + e.getMessage()
                        + "); install it with 'apt-get install libopenblas0'. Reporting openblas_gflops: null.");
                return Optional.empty();
            }
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup lib = SymbolLookup.libraryLookup("libblas.so.3", Arena.global());
                MethodHandle set = linker.downcallHandle(lib.find("openblas_set_num_threads").orElseThrow(),
                        FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
                MethodHandle get = linker.downcallHandle(lib.find("openblas_get_num_threads").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT));
                MethodHandle cfg = linker.downcallHandle(lib.find("openblas_get_config").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.ADDRESS));
                set.invokeExact(threads);
                int actual = (int) get.invokeExact();
                MemorySegment text = (MemorySegment) cfg.invokeExact();
                String config = text.reinterpret(256).getString(0);
                err.println("OpenBLAS: " + config + ", threads " + actual);
                return Optional.of(new OpenBlas(blas, config, actual));
            } catch (Throwable e) {
                err.println("note: libblas.so.3 is not OpenBLAS (" + e + "); Reporting openblas_gflops: null.");
                return Optional.empty();
            }
        }

        void sgemm(Shape s, Operands x) {
            // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
            blas.sgemm(s.transB() ? "T" : "N", s.transA() ? "T" : "N", s.n(), s.m(), s.k(), 1f,
                    x.b, 0, x.ldb, x.a, 0, x.lda, s.beta(), x.c, 0, s.n());
        }

        Map<String, Object> describe() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("config", config);
            d.put("threads", threads);
            return d;
        }
    }
}
