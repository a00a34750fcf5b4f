package dev.starling.peer.cli;

import dev.starling.model.GptConfig;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import dev.starling.training.diloco.DilocoExperiment;
import dev.starling.training.diloco.ExperimentReport;
import dev.starling.training.diloco.ExperimentVariant;
import dev.starling.training.diloco.ExperimentVariant.Mode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling experiment diloco}: 4 peers train the baby GPT on char-level Shakespeare with equal total tokens
 * as (a) per-step fp32 data-parallel all-reduce, (b) DiLoCo for each H and codec, (c) DiLoCo + CO2, all in this JVM
 * through the same in-process butterfly exchange, which counts the bytes each peer sends. Writes one CSV per setting
 * and {@code val_loss.png} under {@code --out}; the JSON line compares the best setting within 2% of (a)'s validation
 * loss. {@code --quick} shrinks the model, the steps and the settings to finish in minutes on 2 cores.
 * Runs on the calling thread plus the worker team.
 */
@Command(name = "diloco", mixinStandardHelpOptions = true,
        description = "DiLoCo vs data-parallel: validation loss against tokens and bytes sent per peer.")
public final class ExperimentDilocoCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "small model, few steps and settings (minutes on 2 cores)")
    private boolean quick;
    @Option(names = "--out", defaultValue = "experiments/results/diloco", description = "output directory")
    private Path out;
    @Option(names = "--peers", defaultValue = "4") private int peers;
    @Option(names = "--steps", description = "inner steps per peer (default 2000; quick 96)") private Integer steps;
    @Option(names = "--h", split = ",", description = "DiLoCo H values (default 50,100,250,500; quick 24,48)")
    private List<Integer> hs;
    @Option(names = "--codecs", split = ",",
            description = "codecs: fp32,int8,int4,topk (default all; quick int8,int4,topk)")
    private List<String> codecs;
    @Option(names = "--co2-h", split = ",", description = "H values run with CO2 (default 100,500; quick 24)")
    private List<Integer> co2Hs;
    @Option(names = "--co2-codec", defaultValue = "int8") private String co2Codec;
    @Option(names = "--eval-batches", defaultValue = "50") private int evalBatches;
    @Option(names = "--threads", defaultValue = "2") private int threads;
    @Option(names = "--seed", defaultValue = "1337") private long seed;
    @Option(names = "--data", defaultValue = "builtin:tinyshakespeare") private String data;

    @Override
    public Integer call() {
        int stepsPerPeer = steps != null ? steps : quick ? 96 : 2000;
        List<Integer> hList = hs != null ? hs : quick ? List.of(24, 48) : List.of(50, 100, 250, 500);
        List<String> codecList = codecs != null ? codecs
                : quick ? List.of("int8", "int4", "topk") : List.of("fp32", "int8", "int4", "topk");
        List<Integer> co2List = co2Hs != null ? co2Hs : quick ? List.of(24) : List.of(100, 500);
        if (peers < 1 || threads < 1 || stepsPerPeer < 1 || evalBatches < 1) {
            throw new UserError("need --peers, --threads, --steps and --eval-batches at least 1");
        }
        List<ExperimentVariant> variants = new ArrayList<>();
        try {
            variants.add(new ExperimentVariant(Mode.DATA_PARALLEL, 1, "fp32"));
            for (int h : hList) {
                for (String c : codecList) {
                    variants.add(new ExperimentVariant(Mode.DILOCO, h, c));
                }
            }
            for (int h : co2List) {
                variants.add(new ExperimentVariant(Mode.CO2, h, co2Codec));
            }
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
        for (ExperimentVariant v : variants) {
            if (v.mode() != Mode.DATA_PARALLEL && stepsPerPeer % v.innerSteps() != 0) {
                throw new UserError("--steps " + stepsPerPeer + " must be a multiple of every H; " + v.innerSteps()
                        + " does not divide it");
            }
        }
        TokenDataset dataset = DataSources.load(data, "char", 0);
        // Baby GPT (nanoGPT's shakespeare_char): 4 layers, 4 heads, 128 channels, block 64, batch 12.
        GptConfig model = quick ? new GptConfig(dataset.vocabSize(), 32, 2, 2, 64, 0f, true)
                : new GptConfig(dataset.vocabSize(), 64, 4, 4, 128, 0f, true);
        int batch = quick ? 8 : 12;
        int warmup = Math.min(100, stepsPerPeer / 10);
        dataset.requireWindow(model.blockSize());
        TrainConfig train = new TrainConfig(model, batch, model.blockSize(), stepsPerPeer,
                new AdamWConfig(0.9f, 0.99f, 1e-8f, 0.1f, false), new CosineSchedule(1e-3f, 1e-4f, warmup,
                stepsPerPeer), 1f, 0, 1, 1, seed, BatchSampler.Order.RANDOM);
        System.err.printf(Locale.ROOT, "experiment diloco: %d peers, %d layers, %d heads, %d channels, block %d,"
                + " batch %d, %d steps per peer, %d settings%s%n", peers, model.nLayer(), model.nHead(),
                model.nEmbd(), model.blockSize(), batch, stepsPerPeer, variants.size(), quick ? " (quick)" : "");
        List<DilocoExperiment.Outcome> outcomes = new ArrayList<>();
        try (ParallelFor pool = new ParallelFor(threads)) {
            DilocoExperiment experiment = new DilocoExperiment(train, peers, evalBatches,
                    hList.stream().mapToInt(Integer::intValue).min().orElse(50), dataset, pool, System.err::println);
            for (ExperimentVariant v : variants) {
                DilocoExperiment.Outcome o = experiment.run(v, System::nanoTime);
                System.err.printf(Locale.ROOT, "%s: val %.4f, %,d bytes per peer, %.0f s%n", v.name(),
                        o.finalValLoss(), o.bytesPerPeer(), o.seconds());
                outcomes.add(o);
            }
        }
        ExperimentReport.write(out, outcomes);
        Map<String, Object> summary = ExperimentReport.summary(outcomes);
        summary.put("out", out.toString());
        JsonResult.print(System.out, summary);
        return 0;
    }
}
