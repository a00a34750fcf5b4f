package dev.starling.peer.cli;

import dev.starling.fault.checkfree.Strategy;
import dev.starling.model.GptConfig;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.emulation.LinkProfile;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.pipeline.CheckfreeExperiment;
import dev.starling.training.pipeline.CheckfreeReport;
import dev.starling.training.pipeline.MeshCheckfreeExperiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling experiment checkfree}: a GPT of 8 blocks cut into 4 pipeline stages trains on char-level Shakespeare
 * without failures (which sets the target: its validation loss at 80% of the run, plus 0.01), then under CheckFree,
 * CheckFree+, checkpoint-restart and redundant computation at each stage failure rate, all on the same failure
 * pattern per rate. Writes CSVs, {@code summary.csv} and one PNG per rate under {@code --out}; the JSON line carries
 * the time to the target, {@code speedup_vs_checkpoint} and {@code runs_lost}. Failure timing is simulated (by
 * iteration, rate per stage per simulated hour). With {@code --transport p2p} (the default) every stage is a peer with
 * its own libp2p host on loopback TCP (or the in-memory transport), a failure closes that host and a fresh peer is
 * rebuilt over the network ({@code MeshCheckfreeExperiment}); wall-clock is compared and the process's CPU time
 * recorded beside it. With {@code --transport inprocess} the hops are copies in one thread and the training thread's
 * CPU time is compared. Runs on the calling thread, the peers' threads and the worker team.
 */
@Command(name = "checkfree", mixinStandardHelpOptions = true,
        description = "Pipeline stage failures: CheckFree(+) vs checkpoint-restart vs redundant computation.")
public final class ExperimentCheckfreeCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "small model and short runs (minutes on 2 cores)")
    private boolean quick;
    @Option(names = "--out", defaultValue = "experiments/results/checkfree", description = "output directory")
    private Path out;
    @Option(names = "--data", defaultValue = "../shared/data/tinyshakespeare.txt",
            description = "text file (char-level), or builtin:tinyshakespeare")
    private String data;
    @Option(names = "--rates", split = ",", defaultValue = "5,10,16", description = "stage failure rates, % per hour")
    private List<Integer> rates;
    @Option(names = "--steps", description = "nominal run length in iterations (default 1500; quick 200)")
    private Integer steps;
    @Option(names = "--hours", defaultValue = "10", description = "simulated hours the nominal run stands for")
    private double hours;
    @Option(names = "--checkpoint-every", description = "steps between checkpoints (default 100; quick 50)")
    private Integer checkpointEvery;
    @Option(names = "--threads", defaultValue = "1",
            description = "kernel threads; with 1 the cpu clock counts all the compute")
    private int threads;
    @Option(names = "--clock", defaultValue = "cpu",
            description = "clock compared: cpu (the training thread's CPU time) or wall")
    private String clockName;
    @Option(names = "--seed", defaultValue = "1337") private long seed;
    @Option(names = "--transport", defaultValue = "p2p",
            description = "p2p: every stage a peer with its own libp2p host, hops as bf16 streams, a failure is a "
                    + "host going away (wall-clock compared); inprocess: one thread, hops as copies")
    private String transport;
    @Option(names = "--net", defaultValue = "tcp", description = "with --transport p2p: tcp (loopback) or memory")
    private String net;
    @Option(names = "--link", description = "with --transport p2p: emulated link on every connection, e.g. "
            + "100mbit,20ms")
    private String link;
    @Option(names = "--hop-timeout", defaultValue = "60", description = "seconds a hop or a rebuild fetch may take")
    private int hopTimeout;

    @Override
    public Integer call() {
        int n = steps != null ? steps : quick ? 200 : 1500;
        int ckpt = checkpointEvery != null ? checkpointEvery : quick ? 50 : 100;
        if (n < 20 || ckpt < 1 || threads < 1 || !(hours > 0) || rates.isEmpty()) {
            throw new UserError("need --steps at least 20, --checkpoint-every, --threads and --hours positive and at "
                    + "least one rate");
        }
        for (int r : rates) {
            if (r < 0 || r >= 100) {
                throw new UserError("--rates are % per hour in [0,100), got " + r);
            }
        }
        if (!data.startsWith("builtin:") && !Files.isRegularFile(Path.of(data))) {
            throw new UserError("no file " + data + "; pass --data PATH or --data builtin:tinyshakespeare");
        }
        boolean p2p = switch (transport) {
            case "p2p" -> true;
            case "inprocess" -> false;
            default -> throw new UserError("--transport is p2p or inprocess, got " + transport);
        };
        if (!net.equals("tcp") && !net.equals("memory") || hopTimeout < 1) {
            throw new UserError("--net is tcp or memory (got " + net + ") and --hop-timeout positive");
        }
        LinkProfile profile = null;
        if (link != null) {
            try {
                profile = LinkProfile.parse(link);
            } catch (IllegalArgumentException e) {
                throw new UserError("--link: " + e.getMessage());
            }
        }
        java.util.function.LongSupplier clock = switch (clockName) {
            case "cpu" -> java.lang.management.ManagementFactory.getThreadMXBean()::getCurrentThreadCpuTime;
            case "wall" -> System::nanoTime;
            default -> throw new UserError("--clock is cpu or wall, got " + clockName);
        };
        TokenDataset dataset = DataSources.load(data, "char", 0);
        GptConfig model = quick ? new GptConfig(dataset.vocabSize(), 32, 8, 4, 48, 0f, true)
                : new GptConfig(dataset.vocabSize(), 64, 8, 4, 96, 0f, true);
        dataset.requireWindow(model.blockSize());
        CheckfreeExperiment.Settings settings = new CheckfreeExperiment.Settings(model, 4, quick ? 8 : 12, 2, n, 2 * n,
                new AdamWConfig(0.9f, 0.99f, 1e-8f, 0.1f, false), new CosineSchedule(2e-3f, 2e-4f, n / 10, n), 1f,
                quick ? 10 : 25, quick ? 12 : 20, n / hours, n / 15, ckpt, out.resolve("checkpoints"), 2, seed);
        System.err.printf(Locale.ROOT, "experiment checkfree: %d blocks in 4 stages, %d channels, block %d, batch 2x%d,"
                + " %d iterations nominal (= %.0f simulated hours), checkpoint every %d, rates %s%s%n", model.nLayer(),
                model.nEmbd(), model.blockSize(), settings.batch(), n, hours, ckpt, rates, quick ? " (quick)" : "");
        List<CheckfreeExperiment.Outcome> outcomes = new ArrayList<>();
        double target;
        java.util.function.LongSupplier processCpu = ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean())::getProcessCpuTime;
        MeshCheckfreeExperiment.Mesh mesh = new MeshCheckfreeExperiment.Mesh(net.equals("tcp"), profile,
                TimeUnit.SECONDS.toNanos(hopTimeout));
        try (ParallelFor pool = new ParallelFor(threads)) {
            CheckfreeExperiment experiment = new CheckfreeExperiment(settings, dataset, pool, System.err::println);
            MeshCheckfreeExperiment overMesh = new MeshCheckfreeExperiment(settings, dataset, pool,
                    System.err::println, mesh);
            CheckfreeExperiment.Outcome base = p2p ? overMesh.run(null, 0, Double.NaN, processCpu)
                    : experiment.run(null, 0, Double.NaN, clock, System::nanoTime);
            outcomes.add(base);
            target = targetOf(base, n) + 0.01;
            System.err.printf(Locale.ROOT, "target validation loss %.4f%n", target);
            for (int rate : rates) {
                for (Strategy s : Strategy.values()) {
                    CheckfreeExperiment.Outcome o = p2p ? overMesh.run(s, rate, target, processCpu)
                            : experiment.run(s, rate, target, clock, System::nanoTime);
                    System.err.printf(Locale.ROOT, "%s: %d failures, %d lost steps, target %s%n", o.name(),
                            o.failures(), o.lostSteps(), Double.isNaN(o.secondsToTarget()) ? "not reached"
                            : String.format(Locale.ROOT, "at %.1f s (iteration %d)", o.secondsToTarget(),
                            o.iterationsToTarget()));
                    outcomes.add(o);
                }
            }
        } catch (Exception e) {
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException("the mesh could not be set up: " + e.getMessage(), e);
        }
        CheckfreeReport.write(out, outcomes, rates);
        Map<String, Object> summary = CheckfreeReport.summary(outcomes, rates, target);
        summary.put("transport", p2p ? "p2p-" + net + (link == null ? "" : "-" + link) : "inprocess");
        summary.put("clock", p2p ? "wall" : clockName);
        summary.put("out", out.toString());
        JsonResult.print(System.out, summary);
        return 0;
    }

    /** The baseline's validation loss at the first evaluation at or after 80% of the nominal run. */
    private static double targetOf(CheckfreeExperiment.Outcome base, int steps) {
        for (CheckfreeExperiment.Point p : base.curve()) {
            if (p.iteration() >= 0.8 * steps) {
                return p.valLoss();
            }
        }
        return base.curve().getLast().valLoss();
    }
}
