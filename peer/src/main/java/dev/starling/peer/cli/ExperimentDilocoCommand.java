package dev.starling.peer.cli;

import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.model.GptConfig;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.optimizer.outer.OuterNesterovConfig;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import dev.starling.training.diloco.DilocoExperiment;
import dev.starling.training.diloco.ExperimentReport;
import dev.starling.training.diloco.ExperimentVariant;
import dev.starling.training.diloco.ExperimentVariant.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * loss. Then it measures each peer's share of wall time spent computing, blocking DiLoCo against CO2, over the real
 * mesh on emulated slow links ({@link OverlapRun}, as {@code experiment overlap}), so the one JSON line carries
 * {@code comm_reduction}, {@code val_loss_ratio}, {@code utilization} and {@code utilization_blocking}.
 * {@code --quick} shrinks the model and the settings (1000 steps per peer, H up to 500) to finish in about 15
 * minutes on 2 cores. Runs on the calling thread plus the worker team; the overlap part runs one thread per peer.
 */
@Command(name = "diloco", mixinStandardHelpOptions = true,
        description = "DiLoCo vs data-parallel: validation loss against tokens, bytes sent per peer, compute share.")
public final class ExperimentDilocoCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "small model, 1000 steps per peer, fewer settings (~15 min, 2 cores)")
    private boolean quick;
    @Option(names = "--out", defaultValue = "experiments/results/diloco", description = "output directory")
    private Path out;
    @Option(names = "--peers", defaultValue = "4") private int peers;
    @Option(names = "--steps", description = "inner steps per peer (default 2000; quick 1000)") private Integer steps;
    @Option(names = "--h", split = ",", description = "DiLoCo H values (default 50,100,250,500; quick 50,250,500)")
    private List<Integer> hs;
    @Option(names = "--codecs", split = ",",
            description = "codecs: fp32,int8,int4,topk (default all; quick int8,int4)")
    private List<String> codecs;
    @Option(names = "--co2-h", split = ",", description = "H values run with CO2 (default 100,500; quick 250)")
    private List<Integer> co2Hs;
    @Option(names = "--co2-codec", defaultValue = "int4") private String co2Codec;
    @Option(names = "--codec-block", defaultValue = "256",
            description = "elements per fp32 scale of the int8 and int4 codecs (default 256)")
    private int codecBlock;
    @Option(names = "--outer-lr", split = ",", description = "outer Nesterov learning rate(s) (default DiLoCo's 0.7;"
            + " quick 1.0); several values run every DiLoCo and CO2 setting once per lr and momentum")
    private List<Float> outerLr;
    @Option(names = "--outer-momentum", split = ",",
            description = "outer Nesterov momentum(s) (default DiLoCo's 0.9; quick 0: 2-20 rounds are too few for it)")
    private List<Float> outerMomentum;
    @Option(names = "--lr", defaultValue = "1e-3",
            description = "peak inner AdamW lr, of DiLoCo's inner steps and of (a) alike (default 1e-3)")
    private float lr;
    @Option(names = "--min-lr", description = "final lr of the cosine schedule (default lr / 10)")
    private Float minLr;
    @Option(names = "--warmup", description = "lr warmup steps (default min(100, steps / 10))")
    private Integer warmupSteps;
    @Option(names = "--no-co2", description = "run no CO2 setting") private boolean noCo2;
    @Option(names = "--baseline-only", description = "run only (a), e.g. to tune its --lr like DiLoCo's")
    private boolean baselineOnly;
    @Option(names = "--no-baseline", description = "skip (a) (its figures come from another run; the ratios to (a)"
            + " are then null)")
    private boolean noBaseline;
    @Option(names = "--layers", description = "model layers (default 4; quick 2)") private Integer layers;
    @Option(names = "--channels", description = "model width (default 128; quick 32)") private Integer channels;
    @Option(names = "--batch", description = "sequences per peer per step (default 12; quick 16)")
    private Integer batch;
    @Option(names = "--eval-batches", defaultValue = "50") private int evalBatches;
    @Option(names = "--threads", defaultValue = "2") private int threads;
    @Option(names = "--seed", defaultValue = "1337") private long seed;
    @Option(names = "--data", defaultValue = "builtin:tinyshakespeare") private String data;
    @Option(names = "--overlap-link", defaultValue = "500kbit,50ms",
            description = "overlap measurement: each peer's uplink rate and one-way delay (default 500kbit,50ms)")
    private String overlapLink;
    @Option(names = "--overlap-rounds", description = "overlap measurement: rounds per mode (default 6; quick 4)")
    private Integer overlapRounds;
    @Option(names = "--overlap-h", defaultValue = "200", description = "overlap measurement: H (default 200)")
    private int overlapH;
    @Option(names = "--overlap-channels", defaultValue = "64",
            description = "overlap measurement: model width, 2 layers (default 64)")
    private int overlapChannels;
    @Option(names = "--no-overlap", description = "skip the overlap measurement (utilization is then null)")
    private boolean noOverlap;

    @Override
    public Integer call() throws Exception {
        int stepsPerPeer = steps != null ? steps : quick ? 1000 : 2000;
        List<Integer> hList = hs != null ? hs : quick ? List.of(50, 250, 500) : List.of(50, 100, 250, 500);
        List<String> codecList = codecs != null ? codecs
                : quick ? List.of("int8", "int4") : List.of("fp32", "int8", "int4", "topk");
        List<Integer> co2List = noCo2 ? List.of() : co2Hs != null ? co2Hs : quick ? List.of(250) : List.of(100, 500);
        if (peers < 1 || threads < 1 || stepsPerPeer < 1 || evalBatches < 1) {
            throw new UserError("need --peers, --threads, --steps and --eval-batches at least 1");
        }
        List<ExperimentVariant> variants = variants(hList, codecList, co2List, stepsPerPeer);
        OverlapRun overlap = noOverlap ? null : new OverlapRun(peers, overlapRounds != null ? overlapRounds
                : quick ? 4 : 6, overlapH, overlapLink, overlapChannels);
        if (codecBlock < BlockQuantCodec.MIN_BLOCK_SIZE || codecBlock > BlockQuantCodec.MAX_BLOCK_SIZE) {
            throw new UserError("--codec-block must be in [" + BlockQuantCodec.MIN_BLOCK_SIZE + ", "
                    + BlockQuantCodec.MAX_BLOCK_SIZE + "], got " + codecBlock);
        }
        List<OuterNesterovConfig> outers = outerConfigs();
        TokenDataset dataset = DataSources.load(data, "char", 0);
        // Baby GPT (nanoGPT's shakespeare_char): 4 layers, 4 heads, 128 channels, block 64, batch 12.
        int nLayer = layers != null ? layers : quick ? 2 : 4;
        int nEmbd = channels != null ? channels : quick ? 32 : 128;
        if (nLayer < 1 || nEmbd < 4 || nEmbd % (quick ? 2 : 4) != 0) {
            throw new UserError("need --layers at least 1 and --channels a multiple of the heads ("
                    + (quick ? 2 : 4) + ")");
        }
        GptConfig model = new GptConfig(dataset.vocabSize(), quick ? 32 : 64, nLayer, quick ? 2 : 4, nEmbd, 0f, true);
        int perPeerBatch = batch != null ? batch : quick ? 16 : 12;
        int warmup = warmupSteps != null ? warmupSteps : Math.min(100, stepsPerPeer / 10);
        float finalLr = minLr != null ? minLr : lr / 10f;
        if (!(lr > 0f) || !(finalLr > 0f) || finalLr > lr || warmup < 0 || warmup >= stepsPerPeer) {
            throw new UserError("need 0 < --min-lr <= --lr and 0 <= --warmup < --steps, got lr " + lr + ", min-lr "
                    + finalLr + ", warmup " + warmup);
        }
        dataset.requireWindow(model.blockSize());
        TrainConfig train = new TrainConfig(model, perPeerBatch, model.blockSize(), stepsPerPeer,
                new AdamWConfig(0.9f, 0.99f, 1e-8f, 0.1f, false), new CosineSchedule(lr, finalLr, warmup,
                stepsPerPeer), 1f, 0, 1, 1, seed, BatchSampler.Order.RANDOM);
        System.err.printf(Locale.ROOT, "experiment diloco: %d peers, %d layers, %d heads, %d channels (%,d parameters),"
                + " block %d, batch %d, %d steps per peer, %d settings, codec block %d, inner lr %s to %s (warmup %d),"
                + " outer %s%s%n", peers, model.nLayer(), model.nHead(), model.nEmbd(), model.parameterCount(),
                model.blockSize(), perPeerBatch, stepsPerPeer, (variants.size() - (noBaseline ? 0 : 1)) * outers.size()
                + (noBaseline ? 0 : 1),
                codecBlock, lr, finalLr, warmup, outers, quick ? " (quick)" : "");
        List<DilocoExperiment.Outcome> outcomes = new ArrayList<>();
        try (ParallelFor pool = new ParallelFor(threads)) {
            for (OuterNesterovConfig outer : outers) {
                DilocoExperiment experiment = new DilocoExperiment(train, peers, evalBatches,
                        hList.stream().mapToInt(Integer::intValue).min().orElse(50), dataset, pool,
                        System.err::println, codecBlock, outer);
                if (noBaseline && baselineOnly) {
                    throw new UserError("--no-baseline and --baseline-only exclude each other; use one");
                }
                String tag = outers.size() == 1 ? ""
                        : String.format(Locale.ROOT, "-olr%s-m%s", outer.learningRate(), outer.momentum());
                for (ExperimentVariant v : variants) {
                    if (v.mode() == Mode.DATA_PARALLEL && outer != outers.getFirst()) {
                        continue;
                    }
                    ExperimentVariant tagged = v.mode() == Mode.DATA_PARALLEL ? v
                            : new ExperimentVariant(v.mode(), v.innerSteps(), v.codec(), tag);
                    DilocoExperiment.Outcome o = experiment.run(tagged, System::nanoTime);
                    System.err.printf(Locale.ROOT, "%s: val %.4f, %,d bytes per peer, %.0f s%n", tagged.name(),
                            o.finalValLoss(), o.bytesPerPeer(), o.seconds());
                    outcomes.add(o);
                }
            }
        }
        ExperimentReport.write(out, outcomes);
        Map<String, Object> overlapFields = null;
        boolean overlapParity = true;
        if (overlap != null) {
            OverlapRun.Result r = overlap.measure();
            overlapFields = r.fields();
            overlapParity = r.parity();
        }
        Map<String, Object> summary = noBaseline ? withoutBaseline(outcomes, overlapFields)
                : ExperimentReport.summary(outcomes, overlapFields);
        summary.put("model_parameters", model.parameterCount());
        summary.put("model", model.nLayer() + " layers, " + model.nHead() + " heads, " + model.nEmbd()
                + " channels, block " + model.blockSize());
        summary.put("steps_per_peer", stepsPerPeer);
        summary.put("batch_per_peer", perPeerBatch);
        summary.put("codec_block", codecBlock);
        summary.put("outer_lr", outers.size() == 1 ? outers.getFirst().learningRate()
                : outers.stream().map(OuterNesterovConfig::learningRate).toList());
        summary.put("outer_momentum", outers.size() == 1 ? outers.getFirst().momentum()
                : outers.stream().map(OuterNesterovConfig::momentum).toList());
        summary.put("inner_lr", lr);
        summary.put("inner_min_lr", finalLr);
        summary.put("warmup", warmup);
        summary.put("out", out.toString());
        Files.createDirectories(out);
        Files.writeString(out.resolve("result.json"), JsonResult.format(summary) + "\n");
        JsonResult.print(System.out, summary);
        return overlapParity ? 0 : StarlingCommand.EXIT_INTERNAL;
    }

    /** The JSON fields when (a) was skipped: each setting's loss and bytes, no ratios. */
    private static Map<String, Object> withoutBaseline(List<DilocoExperiment.Outcome> outcomes,
                                                       Map<String, Object> overlap) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("comm_reduction", null);
        m.put("val_loss_ratio", null);
        m.put("utilization", overlap == null ? null : overlap.get("utilization"));
        m.put("utilization_blocking", overlap == null ? null : overlap.get("utilization_blocking"));
        m.put("bit_parity", outcomes.stream().allMatch(DilocoExperiment.Outcome::parity));
        List<Map<String, Object>> settings = new ArrayList<>();
        for (DilocoExperiment.Outcome o : outcomes) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("setting", o.variant().name());
            e.put("val_loss", Math.round(o.finalValLoss() * 10000) / 10000.0);
            e.put("bytes_per_peer", o.bytesPerPeer());
            settings.add(e);
        }
        m.put("settings", settings);
        m.put("overlap", overlap);
        return m;
    }

    private List<OuterNesterovConfig> outerConfigs() {
        List<Float> lrs = outerLr != null ? outerLr : List.of(quick ? 1.0f : 0.7f);
        List<Float> moms = outerMomentum != null ? outerMomentum : List.of(quick ? 0f : 0.9f);
        List<OuterNesterovConfig> list = new ArrayList<>();
        try {
            for (float l : lrs) {
                for (float m : moms) {
                    list.add(new OuterNesterovConfig(l, m));
                }
            }
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
        return list;
    }

    private List<ExperimentVariant> variants(final List<Integer> hList, final List<String> codecList,
                                                    final List<Integer> co2List, final int stepsPerPeer) {
        List<ExperimentVariant> variants = new ArrayList<>();
        try {
            if (!noBaseline) {
                variants.add(new ExperimentVariant(Mode.DATA_PARALLEL, 1, "fp32"));
            }
            if (baselineOnly) {
                return variants;
            }
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
        return variants;
    }
}
