package dev.starling.peer.cli;

import dev.starling.model.Activations;
import dev.starling.model.BadInputException;
import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.model.checkpoint.Checkpoint;
import dev.starling.model.checkpoint.GptImporters;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import dev.starling.training.TrainListener;
import dev.starling.training.Trainer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling train}: trains a GPT on this machine's CPU from a data file or a preset, with a
 * live progress line, periodic validation, an optional checkpoint and metrics log, and one final
 * JSON line on stdout. Runs on the calling thread plus a worker team of {@code --threads}.
 * Bad input becomes a {@link UserError} (exit 2).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train a GPT on this machine's CPU; prints one final JSON line on stdout.")
public final class TrainCommand implements Callable<Integer> {
    /** Hyperparameter defaults of a preset; flags override each. */
    record Preset(String data, String tokenizer, int vocab, int layers, int heads, int channels, int block, int batch,
                  int steps, float lr, float minLr, int warmup, int decaySteps, float beta1, float beta2,
                  float weightDecay, float clip, float dropout, boolean bias, int evalInterval) {
    }

    /** nanoGPT's shakespeare_char "baby GPT" (its CPU settings), and GPT-2 small at B=1. */
    static final Map<String, Preset> PRESETS = Map.of(
            "baby-gpt", new Preset("builtin:tinyshakespeare", "char", 0, 4, 4, 128, 64, 12, 2000, 1e-3f, 1e-4f,
                    100, 2000, 0.9f, 0.99f, 0.1f, 1.0f, 0f, false, 250),
            "gpt2-124m", new Preset("builtin:tinyshakespeare", "byte", 50257, 12, 12, 768, 1024, 1, 600000, 6e-4f,
                    6e-5f, 2000, 600000, 0.9f, 0.95f, 0.1f, 1.0f, 0f, true, 2000));

    @Option(names = "--data",
            description = "text file, directory of text files, .bin token file, or builtin:tinyshakespeare")
    private String data;
    @Option(names = "--preset", description = "baby-gpt or gpt2-124m")
    private String preset;
    @Option(names = "--tokenizer", description = "char or byte (text data)")
    private String tokenizer;
    @Option(names = "--vocab-size", description = "vocabulary of .bin token files (default 50257)")
    private Integer vocab;
    @Option(names = "--out", description = "directory for model.safetensors")
    private Path out;
    @Option(names = "--metrics", description = "JSON lines file: step, loss, lr, grad_norm, tokens_per_s")
    private Path metrics;
    @Option(names = "--init-from",
            description = "start from weights: Starling or HF GPT-2 .safetensors, or an llm.c .bin checkpoint")
    private Path initFrom;
    @Option(names = "--layers") private Integer layers;
    @Option(names = "--heads") private Integer heads;
    @Option(names = "--channels") private Integer channels;
    @Option(names = "--block-size", description = "context length T") private Integer block;
    @Option(names = "--batch-size") private Integer batch;
    @Option(names = {"--steps", "--max-iters"}) private Integer steps;
    @Option(names = "--lr", description = "peak learning rate") private Float lr;
    @Option(names = "--min-lr") private Float minLr;
    @Option(names = "--warmup", description = "warmup steps") private Integer warmup;
    @Option(names = "--decay-steps", description = "step where the cosine reaches --min-lr") private Integer decay;
    @Option(names = "--beta1") private Float beta1;
    @Option(names = "--beta2") private Float beta2;
    @Option(names = "--eps", defaultValue = "1e-8") private float eps;
    @Option(names = "--weight-decay") private Float weightDecay;
    @Option(names = "--decay-all", description = "weight-decay every tensor (llm.c), not only 2-D ones")
    private boolean decayAll;
    @Option(names = "--grad-clip", description = "max gradient norm, 0 = off") private Float clip;
    @Option(names = "--dropout") private Float dropout;
    @Option(names = "--bias", arity = "1") private Boolean bias;
    @Option(names = "--eval-interval") private Integer evalInterval;
    @Option(names = "--eval-batches", defaultValue = "50") private int evalBatches;
    @Option(names = "--final-eval-batches", defaultValue = "200") private int finalEvalBatches;
    @Option(names = "--seed", defaultValue = "1337") private long seed;
    @Option(names = "--data-order", defaultValue = "random", description = "random or sequential")
    private String dataOrder;
    @Option(names = "--threads", description = "worker threads (default: all cores)")
    private Integer threads;

    @Override
    public Integer call() {
        if (data == null && preset == null) {
            throw new UserError("give --data PATH or --preset baby-gpt|gpt2-124m");
        }
        Preset p = preset == null ? PRESETS.get("baby-gpt") : PRESETS.get(preset);
        if (p == null) {
            throw new UserError("unknown preset '" + preset + "'; use baby-gpt or gpt2-124m");
        }
        try {
            return train(p);
        } catch (BadInputException | IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new UserError("out of memory; lower --batch-size or --block-size, or raise the heap with"
                    + " STARLING_JAVA_OPTS=-Xmx...", e);
        } catch (IOException e) {
            throw new UserError("cannot write output: " + e.getMessage(), e);
        }
    }

    private Integer train(Preset p) throws IOException {
        String tok = or(tokenizer, p.tokenizer());
        TokenDataset dataset = DataSources.load(or(data, p.data()), tok, or(vocab, p.vocab()));
        int vocabSize = Math.max(dataset.vocabSize(), or(vocab, p.vocab()));
        int seq = or(block, p.block());
        GptConfig model = new GptConfig(vocabSize, seq, or(layers, p.layers()), or(heads, p.heads()),
                or(channels, p.channels()), or(dropout, p.dropout()), or(bias, p.bias()));
        Gpt gpt = null;
        if (initFrom != null) {
            gpt = GptImporters.load(initFrom, model);
            model = gpt.config();
            seq = Math.min(seq, model.blockSize());
            if (dataset.vocabSize() > model.vocabSize()) {
                int need = dataset.vocabSize();
                gpt.close();
                throw new UserError("the data's tokenizer has " + need + " token ids but the --init-from model's"
                        + " vocabulary has " + model.vocabSize() + "; use the tokenizer the model was trained with"
                        + " (GPT-2 weights: a .bin file of GPT-2 token ids)");
            }
        }
        int total = or(steps, p.steps());
        TrainConfig config = new TrainConfig(model, or(batch, p.batch()), seq, total,
                new AdamWConfig(or(beta1, p.beta1()), or(beta2, p.beta2()), eps, or(weightDecay, p.weightDecay()),
                        decayAll),
                new CosineSchedule(or(lr, p.lr()), or(minLr, p.minLr()), Math.min(or(warmup, p.warmup()), total),
                        Math.max(Math.min(or(warmup, p.warmup()), total), or(decay, Math.min(p.decaySteps(), total)))),
                or(clip, p.clip()), or(evalInterval, p.evalInterval()), evalBatches, finalEvalBatches, seed,
                order(dataOrder));
        dataset.requireWindow(seq);
        checkMemory(config);
        int nThreads = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (nThreads < 1) {
            throw new UserError("--threads must be at least 1, got " + nThreads);
        }
        if (gpt == null) {
            gpt = new Gpt(model);
            gpt.initGpt2(seed);
        }
        PrintStream err = System.err;
        err.printf(Locale.ROOT, "starling train: %s, %d layers, %d heads, %d channels, vocab %d, %.2fM parameters,"
                        + " B=%d T=%d, %d steps, %d threads%n", dataset.source(), model.nLayer(), model.nHead(),
                model.nEmbd(), model.vocabSize(), model.parameterCount() / 1e6, config.batchSize(), seq, total,
                nThreads);
        long start = System.nanoTime();
        float val;
        float trainLoss;
        int taken;
        try (ParallelFor pool = new ParallelFor(nThreads); Trainer trainer = new Trainer(config, gpt, dataset, pool);
             Progress progress = new Progress(err, metrics, config.batchSize() * seq, start)) {
            val = trainer.run(progress, System::nanoTime);
            progress.finish();
            trainLoss = trainer.recentTrainLoss();
            taken = trainer.steps();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        if (out != null) {
            Path file = out.resolve("model.safetensors");
            Checkpoint.save(file, gpt, dataset.tokenizer());
            err.println("starling train: wrote " + file);
        }
        gpt.close();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("val_loss", val);
        result.put("train_loss", trainLoss);
        result.put("tokens_per_s", Math.round((double) taken * config.batchSize() * seq / wall));
        result.put("wall_s", Math.round(wall * 10) / 10.0);
        result.put("steps", taken);
        JsonResult.print(System.out, result);
        return 0;
    }

    private static void checkMemory(TrainConfig config) {
        long params = config.model().parameterCount();
        long need = params * 4 * 4 + Activations.bytesNeeded(config.model(), config.batchSize(), config.seqLen());
        long max = Runtime.getRuntime().maxMemory();
        if (need > max * 0.9) {
            throw new UserError(String.format(Locale.ROOT, "this model needs about %.1f GiB but the heap allows %.1f"
                    + " GiB; lower --batch-size/--block-size/--channels or raise STARLING_JAVA_OPTS=-Xmx",
                    need / (double) (1L << 30), max / (double) (1L << 30)));
        }
    }

    private static BatchSampler.Order order(String s) {
        return switch (s) {
            case "random" -> BatchSampler.Order.RANDOM;
            case "sequential" -> BatchSampler.Order.SEQUENTIAL;
            default -> throw new UserError("--data-order must be random or sequential, got " + s);
        };
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    /** Progress for people (stderr) and the optional metrics log. Training thread only. */
    private static final class Progress implements TrainListener, AutoCloseable {
        private final PrintStream err;
        private final BufferedWriter metrics;
        private final int tokensPerStep;
        private final long start;
        private final boolean live = System.console() != null;
        private long lastPrint;
        private float lastVal = Float.NaN;

        Progress(PrintStream err, Path metricsFile, int tokensPerStep, long start) throws IOException {
            this.err = err;
            this.metrics = metricsFile == null ? null : Files.newBufferedWriter(metricsFile);
            this.tokensPerStep = tokensPerStep;
            this.start = start;
        }

        @Override
        public void onStep(int step, int steps, float loss, float lr, double gradNorm, long stepNanos) {
            long now = System.nanoTime();
            double elapsed = (now - start) / 1e9;
            double tokS = (double) step * tokensPerStep / elapsed;
            if (metrics != null) {
                try {
                    metrics.write(String.format(Locale.ROOT, "{\"step\":%d,\"loss\":%.5f,\"lr\":%.3e,"
                            + "\"grad_norm\":%.4f,\"tokens_per_s\":%.0f}%n", step, loss, lr, gradNorm,
                            tokensPerStep / (stepNanos / 1e9)));
                } catch (IOException e) {
                    throw new UserError("cannot write metrics: " + e.getMessage(), e);
                }
            }
            boolean due = live ? now - lastPrint > 200_000_000L || step == steps
                    : step % Math.max(1, steps / 20) == 0 || step == 1 || step == steps;
            if (!due) {
                return;
            }
            lastPrint = now;
            double eta = (steps - step) * elapsed / step;
            String val = Float.isNaN(lastVal) ? "-" : String.format(Locale.ROOT, "%.4f", lastVal);
            String line = String.format(Locale.ROOT, "step %d/%d  loss %.4f  val %s  lr %.2e  %.0f tok/s  ETA %s",
                    step, steps, loss, val, lr, tokS, formatSeconds(eta));
            if (live) {
                err.print("\r" + line + "   ");
            } else {
                err.println(line);
            }
        }

        @Override
        public void onEval(int step, float valLoss) {
            lastVal = valLoss;
            String line = String.format(Locale.ROOT, "step %d: val loss %.4f (%.1f s)", step, valLoss,
                    (System.nanoTime() - start) / 1e9);
            err.println(live ? "\r" + line + " ".repeat(40) : line);
        }

        void finish() {
            if (live) {
                err.println();
            }
        }

        private static String formatSeconds(double s) {
            long t = Math.round(s);
            return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                    : String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60);
        }

        @Override
        public void close() throws IOException {
            if (metrics != null) {
                metrics.close();
            }
        }
    }
}
