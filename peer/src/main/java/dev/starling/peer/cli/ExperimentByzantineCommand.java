package dev.starling.peer.cli;

import dev.starling.collectives.attack.PeerAttack;
import dev.starling.model.GptConfig;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.optimizer.outer.OuterNesterovConfig;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import dev.starling.training.byzantine.ByzantineExperiment;
import dev.starling.training.byzantine.ByzantineReport;
import dev.starling.training.byzantine.ByzantineSettings;
import dev.starling.training.byzantine.Defence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling experiment byzantine}: 16 DiLoCo peers train the baby GPT on char-level Shakespeare in this JVM
 * while f ∈ {0, 3, 7} of them attack, under each aggregator (mean, median, trimmed mean, CenteredClip with reducer
 * verification and bans). Writes CSVs, a PNG per attack and a markdown table under {@code --out}; the JSON line
 * holds the measures. {@code --quick} shrinks the model and the rounds to finish in minutes on 2 cores.
 * Runs on the calling thread plus the worker team.
 */
@Command(name = "byzantine", mixinStandardHelpOptions = true,
        description = "Attacks vs robust aggregators and reducer verification: validation loss, bans, bytes.")
public final class ExperimentByzantineCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "small model, few rounds (minutes on 2 cores)")
    private boolean quick;
    @Option(names = "--out", defaultValue = "experiments/results/byzantine", description = "output directory")
    private Path out;
    @Option(names = "--peers", defaultValue = "16") private int peers;
    @Option(names = "--f", split = ",", defaultValue = "0,3,7", description = "attacker counts (default 0,3,7)")
    private List<Integer> fs;
    @Option(names = "--attacks", split = ",", description = "attacks (default: all)") private List<String> attacks;
    @Option(names = "--aggregators", split = ",", description = "mean,median,trimmed-mean,centered-clip+verify"
            + " (default: all)")
    private List<String> aggregators;
    @Option(names = "--h", description = "inner steps per round (default 50; quick 8)") private Integer h;
    @Option(names = "--rounds", description = "outer rounds (default 20; quick 8)") private Integer rounds;
    @Option(names = "--tau", defaultValue = "0.15", description = "CenteredClip's tau per part in round 1"
            + " (default: ${DEFAULT-VALUE})")
    private double tau;
    @Option(names = "--tau-scale", defaultValue = "0.3", description = "later rounds: tau = this x the RMS part norm"
            + " of the last aggregate (default: ${DEFAULT-VALUE})")
    private double tauScale;
    @Option(names = "--eval-batches", description = "validation batches (default 50; quick 8)")
    private Integer evalBatches;
    @Option(names = "--outer-lr", defaultValue = "1.0", description = "outer learning rate (default ${DEFAULT-VALUE}:"
            + " with momentum 0 this is federated averaging, stable at small H)")
    private float outerLr;
    @Option(names = "--outer-momentum", defaultValue = "0.0", description = "outer Nesterov momentum (DiLoCo: 0.9)")
    private float outerMomentum;
    @Option(names = "--alie-z", split = ",", defaultValue = "paper", description = "ALIE's z values, one ALIE row"
            + " each: 'paper' (Phi^-1((n - s)/n), s = n/2 + 1 - f) or a number (default: ${DEFAULT-VALUE})")
    private List<String> alieZ;
    @Option(names = "--threads", defaultValue = "2") private int threads;
    @Option(names = "--seed", defaultValue = "1337") private long seed;
    @Option(names = "--data", defaultValue = "builtin:tinyshakespeare") private String data;

    @Override
    public Integer call() {
        int hSteps = h != null ? h : quick ? 8 : 50;
        int nRounds = rounds != null ? rounds : quick ? 8 : 20;
        int batches = evalBatches != null ? evalBatches : quick ? 8 : 50;
        double clipTau = tau;
        List<PeerAttack> attackList = new ArrayList<>();
        for (String a : attacks != null ? attacks : Arrays.stream(PeerAttack.values()).map(PeerAttack::cliName)
                .toList()) {
            attackList.add(PeerAttack.fromName(a).orElseThrow(() -> new UserError("--attacks " + a
                    + " is not an attack; use " + PeerAttack.names(false))));
        }
        List<Defence> defences = new ArrayList<>();
        for (String a : aggregators != null ? aggregators : Arrays.stream(Defence.values()).map(Defence::label)
                .toList()) {
            defences.add(Arrays.stream(Defence.values()).filter(d -> d.label().equals(a)).findFirst()
                    .orElseThrow(() -> new UserError("--aggregators " + a + " is not one of mean, median,"
                            + " trimmed-mean, centered-clip+verify")));
        }
        List<Double> zs = new ArrayList<>();
        for (String z : alieZ) {
            zs.add(alieZValue(z));
        }
        int maxF = fs.stream().mapToInt(Integer::intValue).max().orElse(0);
        if (peers < 2 || threads < 1 || hSteps < 1 || nRounds < 1 || batches < 1 || !(clipTau > 0) || !(tauScale > 0)
                || fs.stream().anyMatch(f -> f < 0) || 2 * maxF >= peers) {
            throw new UserError("need --peers >= 2, positive --threads/--h/--rounds/--eval-batches/--tau/--tau-scale,"
                    + " and every --f at least 0 and below half of --peers");
        }
        TokenDataset dataset = DataSources.load(data, "char", 0);
        // Baby GPT (nanoGPT's shakespeare_char): 4 layers, 4 heads, 128 channels, block 64, batch 12.
        GptConfig model = quick ? new GptConfig(dataset.vocabSize(), 32, 1, 2, 32, 0f, true)
                : new GptConfig(dataset.vocabSize(), 64, 4, 4, 128, 0f, true);
        int batch = quick ? 8 : 12;
        int steps = hSteps * nRounds;
        dataset.requireWindow(model.blockSize());
        TrainConfig train = new TrainConfig(model, batch, model.blockSize(), steps,
                new AdamWConfig(0.9f, 0.99f, 1e-8f, 0.1f, false), new CosineSchedule(quick ? 3e-3f : 1e-3f, 1e-4f,
                Math.min(100, steps / 10), steps), 1f, 0, 1, 1, seed, BatchSampler.Order.RANDOM);
        ByzantineSettings settings;
        try {
            settings = new ByzantineSettings(train, peers, hSteps, nRounds, maxF, clipTau, tauScale, 5000, 2, batches,
                    4.0, 10.0, 2.0, 0.01f, new OuterNesterovConfig(outerLr, outerMomentum));
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage(), e);
        }
        System.err.printf(Locale.ROOT, "experiment byzantine: %d peers, %d layers, %d channels, block %d, batch %d,"
                + " H %d, %d rounds, tau %.3g, f %s, ALIE z %s%s%n", peers, model.nLayer(), model.nEmbd(),
                model.blockSize(), batch, hSteps, nRounds, clipTau, fs, alieZ, quick ? " (quick)" : "");
        List<ByzantineExperiment.Timed> runs;
        try (ParallelFor pool = new ParallelFor(threads)) {
            runs = ByzantineExperiment.run(settings, defences, attackList, fs, zs, dataset, pool, System::nanoTime,
                    System.err::println);
        }
        ByzantineReport.write(out, runs);
        Map<String, Object> summary = ByzantineReport.summary(runs);
        summary.put("out", out.toString());
        JsonResult.print(System.out, summary);
        return 0;
    }

    /** NaN for {@code paper}, else the number, which must be positive and finite. */
    private static double alieZValue(String text) {
        if (text.strip().equalsIgnoreCase("paper")) {
            return Double.NaN;
        }
        double z;
        try {
            z = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            z = Double.NaN;
        }
        if (!(z > 0) || Double.isInfinite(z)) {
            throw new UserError("--alie-z " + text + " is not 'paper' or a positive number");
        }
        return z;
    }
}
