package dev.starling.training.byzantine;

import dev.starling.collectives.attack.PeerAttack;
import dev.starling.model.data.TokenDataset;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.diloco.Evaluator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The sweep: for every defence, one run without attackers, then every attack with each number of attackers. All runs
 * share the model initialisation, the data shards and the validation batches. Owner: the calling thread.
 */
public final class ByzantineExperiment {
    private ByzantineExperiment() {
    }

    /**
     * One run's outcome with its wall time.
     *
     * @param outcome what the run produced
     * @param seconds wall time here
     */
    public record Timed(ByzantineRun.Outcome outcome, double seconds) {
    }

    /**
     * Runs the sweep.
     *
     * @param settings  the settings
     * @param defences  the defences
     * @param attacks   the attacks
     * @param fs        attacker counts (0 is run once per defence, without an attack)
     * @param alieZs    the z values ALIE is run with, NaN for the paper's (one ALIE row each)
     * @param data      the dataset
     * @param pool      the worker team (owned by the caller)
     * @param clock     nanoseconds, for wall time only
     * @param progress  one line per finished run
     * @return every run, in the order run
     */
    public static List<Timed> run(final ByzantineSettings settings, final List<Defence> defences,
                                  final List<PeerAttack> attacks, final List<Integer> fs, final List<Double> alieZs,
                                  final TokenDataset data,
                                  final ParallelFor pool, final LongSupplier clock, final Consumer<String> progress) {
        List<Timed> out = new ArrayList<>();
        try (Evaluator eval = new Evaluator(settings.train().model(), data, settings.train().batchSize(),
            settings.train().seqLen(), settings.evalBatches(), settings.train().seed() ^ 0x5EEDL, pool)) {
            ByzantineRun runner = new ByzantineRun(settings, data, pool, eval);
            for (Defence d : defences) {
                for (int f : fs) {
                    for (PeerAttack a : f == 0 ? List.<PeerAttack>of(PeerAttack.SIGN_FLIP) : attacks) {
                        for (double z : a == PeerAttack.ALIE && f > 0 ? alieZs : List.of(Double.NaN)) {
                            long start = clock.getAsLong();
                            ByzantineRun.Outcome o = runner.run(d, a, f, z);
                            Timed t = new Timed(o, (clock.getAsLong() - start) / 1e9);
                            out.add(t);
                            progress.accept(String.format(Locale.ROOT,
                                "%-40s val %8.4f%s  bans %d  audit %.2f%%  %.1f s", o.name(), o.finalValLoss(),
                                o.diverged() ? " (diverged)" : "", o.bans().size(),
                                100.0 * o.auditBytes() / Math.max(1, o.butterflyBytes()), t.seconds()));
                        }
                    }
                }
            }
        }
        return out;
    }
}
