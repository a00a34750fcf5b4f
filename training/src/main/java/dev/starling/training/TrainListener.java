package dev.starling.training;

/**
 * What a {@link Trainer} reports as it runs. Called on the training thread, between steps; an
 * implementation must be quick and must not call back into the trainer.
 */
public interface TrainListener {
    /**
     * After each optimizer step.
     *
     * @param step      the step just taken, from 1
     * @param steps     the total planned
     * @param loss      its training loss
     * @param lr        its learning rate
     * @param gradNorm  the gradient norm before clipping
     * @param stepNanos how long the step took
     */
    void onStep(int step, int steps, float loss, float lr, double gradNorm, long stepNanos);

    /**
     * After each validation.
     *
     * @param step    the step it follows
     * @param valLoss the mean validation loss
     */
    void onEval(int step, float valLoss);
}
