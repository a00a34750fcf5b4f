package dev.starling.peer.cli;

import dev.starling.model.Activations;
import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.optimizer.AdamW;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.GradClip;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench train}: times full training steps (forward, backward, clip, AdamW) of a GPT
 * on random tokens, after warm-up steps, and prints {@code tokens_per_s}, {@code ms_per_step} and
 * the bytes all JVM threads allocated per timed step as one JSON line, with the calling thread's CPU
 * time per step ({@code owner_cpu_ms_per_step}: the whole step's compute with {@code --threads 1}, the
 * figure to compare on a loaded machine). The defaults are DESIGN.md's
 * CPU target: 4 layers, 4 heads, 256 channels, vocab 512, B=4, T=256, 2 threads. Runs on the
 * calling thread plus the worker team.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Time GPT training steps on this CPU; prints tokens_per_s and ms_per_step as JSON.")
public final class BenchTrainCommand implements Callable<Integer> {
    @Option(names = "--layers", defaultValue = "4") private int layers;
    @Option(names = "--heads", defaultValue = "4") private int heads;
    @Option(names = "--channels", defaultValue = "256") private int channels;
    @Option(names = "--vocab", defaultValue = "512") private int vocab;
    @Option(names = "--batch", defaultValue = "4") private int batch;
    @Option(names = "--seq", defaultValue = "256") private int seq;
    @Option(names = "--threads", defaultValue = "2") private int threads;
    @Option(names = "--steps", defaultValue = "10", description = "timed steps") private int steps;
    @Option(names = "--warmup", defaultValue = "3", description = "untimed steps first") private int warmup;

    @Override
    public Integer call() {
        GptConfig config;
        try {
            config = new GptConfig(vocab, seq, layers, heads, channels, 0f, true);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
        if (batch < 1 || threads < 1 || steps < 1 || warmup < 0) {
            throw new UserError("need --batch, --threads and --steps at least 1 and --warmup at least 0");
        }
        int n = batch * seq;
        int[] x = new int[n];
        int[] y = new int[n];
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < n; i++) {
            x[i] = random.nextInt(vocab);
            y[i] = random.nextInt(vocab);
        }
        System.err.printf(Locale.ROOT, "bench train: %d layers, %d heads, %d channels, vocab %d, B=%d T=%d,"
                + " %d threads, %d+%d steps%n", layers, heads, channels, vocab, batch, seq, threads, warmup, steps);
        try (ParallelFor pool = new ParallelFor(threads); Gpt gpt = new Gpt(config);
             AdamW adamw = new AdamW(new AdamWConfig(0.9f, 0.95f, 1e-8f, 0.1f, false), gpt.parameters())) {
            gpt.initGpt2(1);
            Activations acts = new Activations(config, batch, seq);
            GradClip clip = new GradClip();
            com.sun.management.ThreadMXBean threadBean =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long start = 0;
            long cpuStart = 0;
            long allocStart = 0;
            float loss = 0;
            for (int s = 0; s < warmup + steps; s++) {
                if (s == warmup) {
                    allocStart = threadBean.getTotalThreadAllocatedBytes();
                    start = System.nanoTime();
                    cpuStart = threadBean.getCurrentThreadCpuTime();
                }
                gpt.zeroGrad();
                loss = gpt.forward(pool, acts, x, y, seq, true, s);
                gpt.backward(pool, acts, seq);
                clip.clip(pool, gpt.gradients().data(), gpt.gradients().layout().size(), 1f);
                adamw.step(pool, gpt.parameters(), gpt.gradients(), 1e-4f);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuMs = (threadBean.getCurrentThreadCpuTime() - cpuStart) / 1e6;
            long allocated = threadBean.getTotalThreadAllocatedBytes() - allocStart;
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("tokens_per_s", Math.round((double) n * steps / seconds));
            result.put("ms_per_step", Math.round(seconds * 1000 / steps * 10) / 10.0);
            // The calling thread's CPU time: with --threads 1 it runs every kernel, so this is the step's
            // compute time without the time other processes steal (the steady figure on a shared machine).
            result.put("owner_cpu_ms_per_step", Math.round(cpuMs / steps * 10) / 10.0);
            result.put("final_loss", loss);
            result.put("alloc_bytes_per_step", allocated / steps);
            result.put("threads", threads);
            JsonResult.print(System.out, result);
        }
        return 0;
    }
}
