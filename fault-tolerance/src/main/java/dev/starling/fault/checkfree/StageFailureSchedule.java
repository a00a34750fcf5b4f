package dev.starling.fault.checkfree;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * When stages lose all their peers, per the CheckFree paper's failure model: a stage failure rate {@code r} is the
 * probability that a given stage fails within one hour. A run is mapped onto simulated hours of
 * {@code stepsPerHour} iterations each (so the rate is scaled to the run's length), which makes the per-iteration,
 * per-stage failure probability {@code p = 1 - (1 - r)^(1 / stepsPerHour)}; each iteration draws once per stage.
 * Iterations count work done, so a strategy that recomputes lost steps also meets more failures. At most one stage
 * fails per iteration (the paper's generator picks one), and none in the first {@code graceSteps}. The same seed
 * gives the same failures to every strategy, so they are compared on one failure pattern. Pure; any thread.
 */
public final class StageFailureSchedule {
    private final int[] failedStageAt;

    /**
     * Draws the schedule.
     *
     * @param stages       S
     * @param steps        iterations to draw for
     * @param ratePerHour  r, in [0,1)
     * @param stepsPerHour iterations in one simulated hour
     * @param graceSteps   iterations at the start without failures
     * @param seed         the pattern's seed
     */
    public StageFailureSchedule(int stages, int steps, double ratePerHour, double stepsPerHour, int graceSteps,
                                long seed) {
        if (stages < 1 || steps < 0 || !(ratePerHour >= 0 && ratePerHour < 1) || !(stepsPerHour > 0)) {
            throw new IllegalArgumentException("need S >= 1, steps >= 0, rate in [0,1) and stepsPerHour > 0, got "
                    + stages + ", " + steps + ", " + ratePerHour + ", " + stepsPerHour);
        }
        double p = 1 - Math.pow(1 - ratePerHour, 1 / stepsPerHour);
        SplittableRandom random = new SplittableRandom(seed);
        failedStageAt = new int[steps];
        for (int step = 0; step < steps; step++) {
            failedStageAt[step] = -1;
            for (int s = 0; s < stages; s++) {
                boolean fails = random.nextDouble() < p;
                if (fails && failedStageAt[step] < 0 && step >= graceSteps) {
                    failedStageAt[step] = s;
                }
            }
        }
    }

    /**
     * The stage that loses all its peers at a step.
     *
     * @param step the optimizer step
     * @return the stage, or -1 for none (also past the scheduled length)
     */
    public int failedStage(int step) {
        return step >= 0 && step < failedStageAt.length ? failedStageAt[step] : -1;
    }

    /**
     * Every failure as {step, stage}.
     *
     * @return the failures in step order
     */
    public List<int[]> failures() {
        List<int[]> out = new ArrayList<>();
        for (int step = 0; step < failedStageAt.length; step++) {
            if (failedStageAt[step] >= 0) {
                out.add(new int[] {step, failedStageAt[step]});
            }
        }
        return out;
    }
}
