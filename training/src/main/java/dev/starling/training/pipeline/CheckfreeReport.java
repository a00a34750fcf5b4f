package dev.starling.training.pipeline;

import dev.starling.fault.checkfree.Strategy;
import dev.starling.training.diloco.ExperimentReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Files and summary of the CheckFree experiment: one CSV per run, one PNG per failure rate (validation loss against
 * measured wall-clock), {@code summary.csv}, and the JSON fields: wall-clock to the target per strategy and rate,
 * {@code speedup_vs_checkpoint} (checkpoint-restart's time over CheckFree+'s) and {@code runs_lost}. Stateless.
 */
public final class CheckfreeReport {
    private CheckfreeReport() {
    }

    /**
     * Writes the CSVs and PNGs.
     *
     * @param dir      output directory
     * @param outcomes every run
     * @param rates    the failure rates, in %
     * @throws UncheckedIOException when a file cannot be written
     */
    public static void write(Path dir, List<CheckfreeExperiment.Outcome> outcomes, List<Integer> rates) {
        try {
            Files.createDirectories(dir);
            StringBuilder summary = new StringBuilder("run,strategy,rate_percent,failures,lost_steps,recovery_s,"
                    + "seconds_to_target,wall_seconds_to_target,iterations_to_target,lost\n");
            for (CheckfreeExperiment.Outcome o : outcomes) {
                StringBuilder csv = new StringBuilder("iteration,step,seconds,wall_seconds,cpu_seconds,val_loss\n");
                for (CheckfreeExperiment.Point p : o.curve()) {
                    csv.append(String.format(Locale.ROOT, "%d,%d,%.3f,%.3f,%.3f,%.6f%n", p.iteration(), p.step(),
                            p.seconds(), p.wallSeconds(), p.cpuSeconds(), p.valLoss()));
                }
                Files.writeString(dir.resolve(o.name().replace('@', '_') + ".csv"), csv.toString());
                summary.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%.3f,%.3f,%.3f,%d,%b%n", o.name(),
                        o.strategy() == null ? "none" : o.strategy().name(), o.ratePercent(), o.failures(),
                        o.lostSteps(), o.recoverySeconds(), o.secondsToTarget(), wallAtTarget(o),
                        o.iterationsToTarget(), o.lost()));
            }
            Files.writeString(dir.resolve("summary.csv"), summary.toString());
            for (int rate : rates) {
                List<String> names = new ArrayList<>();
                List<List<double[]>> curves = new ArrayList<>();
                for (CheckfreeExperiment.Outcome o : outcomes) {
                    if (o.strategy() == null || o.ratePercent() == rate) {
                        names.add(o.name());
                        List<double[]> c = new ArrayList<>();
                        for (CheckfreeExperiment.Point p : o.curve()) {
                            c.add(new double[] {p.seconds(), p.valLoss()});
                        }
                        curves.add(c);
                    }
                }
                ExperimentReport.writeLines(dir.resolve("val_loss_" + rate + ".png"),
                        "seconds on the run clock (evaluation excluded)", "validation loss", names, curves);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the experiment's results to " + dir, e);
        }
    }

    /**
     * The JSON fields.
     *
     * @param outcomes every run
     * @param rates    the failure rates, in %
     * @param target   the target validation loss
     * @return ordered fields
     */
    public static Map<String, Object> summary(List<CheckfreeExperiment.Outcome> outcomes, List<Integer> rates,
                                              double target) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target_val_loss", round(target, 4));
        Map<String, Object> speedup = new LinkedHashMap<>();
        Map<String, Object> speedupIterations = new LinkedHashMap<>();
        Map<String, Object> speedupPlain = new LinkedHashMap<>();
        Map<String, Object> speedupCpu = new LinkedHashMap<>();
        List<String> lowerBounds = new ArrayList<>();
        Map<String, Object> seconds = new LinkedHashMap<>();
        int lost = 0;
        for (CheckfreeExperiment.Outcome o : outcomes) {
            double reached = firstReach(o, target);
            seconds.put(o.name(), Double.isNaN(reached) ? "not reached" : round(reached, 2));
            if (o.lost()) {
                lost++;
            }
        }
        for (int rate : rates) {
            CheckfreeExperiment.Outcome ckpt = find(outcomes, Strategy.CHECKPOINT_RESTART, rate);
            CheckfreeExperiment.Outcome plus = find(outcomes, Strategy.CHECKFREE_PLUS, rate);
            CheckfreeExperiment.Outcome plain = find(outcomes, Strategy.CHECKFREE, rate);
            if (ckpt != null && Double.isNaN(ckpt.secondsToTarget())) {
                lowerBounds.add(Integer.toString(rate));
            }
            if (ckpt != null && plain != null) {
                speedupPlain.put(Integer.toString(rate), ratio(ckptSeconds(ckpt), plain.secondsToTarget()));
            }
            if (ckpt != null && plus != null) {
                speedup.put(Integer.toString(rate), ratio(ckptSeconds(ckpt), plus.secondsToTarget()));
                speedupCpu.put(Integer.toString(rate), ratio(cpuAt(ckpt, ckpt.iterationsToTarget()),
                        cpuAt(plus, plus.iterationsToTarget())));
                speedupIterations.put(Integer.toString(rate), ratio(ckpt.iterationsToTarget() < 0
                        ? ckpt.curve().getLast().iteration() : ckpt.iterationsToTarget(), plus.iterationsToTarget()));
            }
        }
        out.put("speedup_vs_checkpoint", speedup);
        out.put("speedup_vs_checkpoint_iterations", speedupIterations);
        out.put("cpu_speedup_vs_checkpoint", speedupCpu);
        out.put("checkfree_speedup_vs_checkpoint", speedupPlain);
        out.put("checkpoint_never_reached_target", lowerBounds);
        out.put("seconds_to_target", seconds);
        out.put("runs_lost", lost);
        return out;
    }

    /**
     * Checkpoint-restart's time to the target, or, when it never got there, its time when the run stopped: a speedup
     * against that is a lower bound (listed under {@code checkpoint_never_reached_target}).
     */
    private static double ckptSeconds(CheckfreeExperiment.Outcome ckpt) {
        return Double.isNaN(ckpt.secondsToTarget()) ? ckpt.curve().getLast().seconds() : ckpt.secondsToTarget();
    }

    /** The time of the first validation at or below the target (the run without failures never stops early). */
    private static double firstReach(CheckfreeExperiment.Outcome o, double target) {
        for (CheckfreeExperiment.Point p : o.curve()) {
            if (p.valLoss() <= target) {
                return p.seconds();
            }
        }
        return Double.NaN;
    }

    /** CPU seconds at an iteration (the run's last point when -1: a lower bound), NaN when the run has no points. */
    private static double cpuAt(CheckfreeExperiment.Outcome o, int iteration) {
        if (iteration < 0) {
            return o.curve().isEmpty() ? Double.NaN : o.curve().getLast().cpuSeconds();
        }
        for (CheckfreeExperiment.Point p : o.curve()) {
            if (p.iteration() == iteration) {
                return p.cpuSeconds();
            }
        }
        return Double.NaN;
    }

    private static double wallAtTarget(CheckfreeExperiment.Outcome o) {
        for (CheckfreeExperiment.Point p : o.curve()) {
            if (p.iteration() == o.iterationsToTarget()) {
                return p.wallSeconds();
            }
        }
        return Double.NaN;
    }

    private static CheckfreeExperiment.Outcome find(List<CheckfreeExperiment.Outcome> outcomes, Strategy s, int rate) {
        for (CheckfreeExperiment.Outcome o : outcomes) {
            if (o.strategy() == s && o.ratePercent() == rate) {
                return o;
            }
        }
        return null;
    }

    /** Baseline time over CheckFree(+) time; a side that never reached the target makes the ratio unknown (null). */
    private static Object ratio(double baseline, double checkfree) {
        if (!(baseline > 0) || !(checkfree > 0)) {
            return Double.isNaN(checkfree) || checkfree <= 0 ? "checkfree not reached" : "checkpoint not reached";
        }
        return round(baseline / checkfree, 3);
    }

    private static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
