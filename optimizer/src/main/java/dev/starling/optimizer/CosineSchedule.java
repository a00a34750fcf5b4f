package dev.starling.optimizer;

/**
 * Learning rate as a pure function of the step, as nanoGPT's {@code get_lr}: linear warmup from 0
 * to {@code maxLr} over {@code warmupSteps}, cosine decay to {@code minLr} at {@code decaySteps},
 * then constant {@code minLr}. Immutable; any thread.
 *
 * @param maxLr       peak learning rate
 * @param minLr       final learning rate
 * @param warmupSteps steps of linear warmup (0 for none)
 * @param decaySteps  step at which the cosine reaches minLr
 */
public record CosineSchedule(float maxLr, float minLr, int warmupSteps, int decaySteps) {
    /**
     * Validates the values.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public CosineSchedule {
        if (!(maxLr > 0f) || !(minLr >= 0f) || minLr > maxLr) {
            throw new IllegalArgumentException("need 0 <= min lr <= lr and lr > 0, got lr " + maxLr + ", min " + minLr);
        }
        if (warmupSteps < 0 || decaySteps < warmupSteps) {
            throw new IllegalArgumentException("need 0 <= warmup <= decay steps, got " + warmupSteps
                    + " and " + decaySteps);
        }
    }

    /**
     * The rate for a step.
     *
     * @param step the 0-based step
     * @return the learning rate to use at that step
     */
    public float lr(int step) {
        if (step < warmupSteps) {
            return maxLr * (step + 1) / (warmupSteps + 1);
        }
        if (step >= decaySteps) {
            return minLr;
        }
        double ratio = (double) (step - warmupSteps) / Math.max(1, decaySteps - warmupSteps);
        double coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
        return (float) (minLr + coeff * (maxLr - minLr));
    }
}
