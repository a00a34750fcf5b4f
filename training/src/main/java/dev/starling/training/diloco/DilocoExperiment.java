package dev.starling.training.diloco;

import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.outer.OuterNesterovConfig;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Runs the variants of the DiLoCo experiment side by side in this JVM: the same model, data, peers and total tokens
 * for each, with validation loss recorded against tokens processed and bytes each peer sent. Owner: the calling
 * thread; the kernels use the given worker team.
 */
public final class DilocoExperiment {
    private final TrainConfig train;
    private final int peers;
    private final int evalBatches;
    private final int baselineEvalEvery;
    private final TokenDataset data;
    private final ParallelFor pool;
    private final Consumer<String> progress;
    private final int codecBlock;
    private final OuterNesterovConfig outer;
    /** Every variant starts from the same initialisation, so its validation loss is computed once. */
    private double initialLoss = Double.NaN;

    /**
     * A point of a validation curve.
     *
     * @param tokens       tokens processed by the whole group so far
     * @param bytesPerPeer mean bytes sent per peer so far
     * @param valLoss      validation loss of the shared parameters
     * @param trainLoss    mean training loss since the previous point
     */
    public record Point(long tokens, long bytesPerPeer, double valLoss, double trainLoss) {
    }

    /**
     * The result of one variant.
     *
     * @param variant      what ran
     * @param curve        validation points, the last one final
     * @param bytesPerPeer mean bytes each peer sent over the run
     * @param seconds      wall time it took here
     * @param parity       whether every peer held the same θ_global bytes after every round
     */
    public record Outcome(ExperimentVariant variant, List<Point> curve, long bytesPerPeer, double seconds,
                          boolean parity) {
        /**
         * The final validation loss.
         *
         * @return the last point's loss
         */
        public double finalValLoss() {
            return curve.getLast().valLoss();
        }
    }

    /**
     * Prepares the experiment.
     *
     * @param train             per-peer training settings; {@code steps} is each peer's number of inner steps,
     *                          {@code seed} the run seed
     * @param peers             peers in the group
     * @param evalBatches       validation batches per evaluation
     * @param baselineEvalEvery evaluate the baseline every this many steps
     * @param data              the dataset
     * @param pool              the worker team (owned by the caller)
     * @param progress          receives one line per evaluation
     * @param codecBlock        elements per scale of the int8 and int4 codecs
     * @param outer             the outer optimizer of every DiLoCo and CO2 variant
     */
    public DilocoExperiment(final TrainConfig train, final int peers, final int evalBatches,
                            final int baselineEvalEvery, final TokenDataset data, final ParallelFor pool,
                            final Consumer<String> progress, final int codecBlock,
                            final OuterNesterovConfig outer) {
        if (peers < 1 || evalBatches < 1 || baselineEvalEvery < 1) {
            throw new IllegalArgumentException("peers, eval batches and eval interval must be positive, got "
                + peers + ", " + evalBatches + ", " + baselineEvalEvery);
        }
        this.train = train;
        this.peers = peers;
        this.evalBatches = evalBatches;
        this.baselineEvalEvery = baselineEvalEvery;
        this.data = data;
        this.pool = pool;
        this.progress = progress;
        this.codecBlock = codecBlock;
        this.outer = outer;
    }

    /**
     * Runs one variant to the end of its tokens.
     *
     * @param variant what to run
     * @param clock   a nanosecond clock, used only to report wall time
     * @return the curve and the bytes
     */
    public Outcome run(final ExperimentVariant variant, final java.util.function.LongSupplier clock) {
        long start = clock.getAsLong();
        try (Evaluator eval = new Evaluator(train.model(), data, train.batchSize(), train.seqLen(), evalBatches,
            train.seed() ^ 0x5EEDL, pool)) {
            Outcome o = variant.mode() == ExperimentVariant.Mode.DATA_PARALLEL
                ? runBaseline(variant, eval) : runDiloco(variant, eval);
            return new Outcome(variant, o.curve(), o.bytesPerPeer(), (clock.getAsLong() - start) / 1e9, o.parity());
        }
    }

    private long tokensPerGroupStep() {
        return (long) peers * train.batchSize() * train.seqLen();
    }

    private Outcome runBaseline(final ExperimentVariant variant, final Evaluator eval) {
        List<DataParallelPeer> group = new ArrayList<>();
        try {
            for (int i = 0; i < peers; i++) {
                group.add(new DataParallelPeer(i, train, data, pool, 0xD1L));
            }
            DataParallelGroup dp = new DataParallelGroup(group, new InProcessExchange(1_000_000_000L));
            List<Point> curve = new ArrayList<>();
            curve.add(point(variant, 0, 0, initialLoss(eval, group.getFirst().parameters()), Double.NaN));
            double lossSum = 0;
            int lossCount = 0;
            for (int s = 1; s <= train.steps(); s++) {
                lossSum += dp.step();
                lossCount++;
                if (s % baselineEvalEvery == 0 || s == train.steps()) {
                    curve.add(point(variant, s * tokensPerGroupStep(), mean(dp.bytesSent()),
                        eval.loss(group.getFirst().parameters()), lossSum / lossCount));
                    lossSum = 0;
                    lossCount = 0;
                }
            }
            boolean parity = group.stream().map(p -> StateHash.of(p.parameters())).distinct().count() == 1;
            return new Outcome(variant, curve, mean(dp.bytesSent()), 0, parity);
        } finally {
            group.forEach(DataParallelPeer::close);
        }
    }

    private Outcome runDiloco(final ExperimentVariant variant, final Evaluator eval) {
        int h = variant.innerSteps();
        if (train.steps() % h != 0) {
            throw new IllegalArgumentException("steps per peer " + train.steps() + " must be a multiple of H " + h);
        }
        List<DilocoPeer> group = new ArrayList<>();
        try {
            OuterConfig config = variant.outerConfig(peers, codecBlock, outer);
            for (int i = 0; i < peers; i++) {
                group.add(new DilocoPeer(i, train, config, data, pool, 0xD1L));
            }
            DilocoGroup diloco = new DilocoGroup(group, new InProcessExchange(1_000_000_000L));
            List<Point> curve = new ArrayList<>();
            curve.add(point(variant, 0, 0, initialLoss(eval, group.getFirst().thetaGlobal()), Double.NaN));
            boolean parity = true;
            int rounds = train.steps() / h;
            for (int r = 1; r <= rounds; r++) {
                DilocoGroup.RoundReport report = diloco.round();
                parity &= report.inParity() && report.hashes().size() == peers;
                if (r == rounds) {
                    diloco.flush();
                }
                curve.add(point(variant, (long) r * h * tokensPerGroupStep(), mean(diloco.bytesSent()),
                    eval.loss(group.getFirst().thetaGlobal()), report.innerLoss()));
            }
            return new Outcome(variant, curve, mean(diloco.bytesSent()), 0, parity);
        } finally {
            group.forEach(DilocoPeer::close);
        }
    }

    private double initialLoss(final Evaluator eval, final float[] theta) {
        if (Double.isNaN(initialLoss)) {
            initialLoss = eval.loss(theta);
        }
        return initialLoss;
    }

    private Point point(final ExperimentVariant variant, final long tokens, final long bytes, final double val,
                        final double trainLoss) {
        progress.accept(String.format(Locale.ROOT, "%-22s tokens %,11d  bytes/peer %,15d  val %.4f  train %.4f",
            variant.name(), tokens, bytes, val, trainLoss));
        return new Point(tokens, bytes, val, trainLoss);
    }

    private static long mean(final long[] values) {
        long sum = 0;
        for (long v : values) {
            sum += v;
        }
        return Math.round((double) sum / values.length);
    }
}
