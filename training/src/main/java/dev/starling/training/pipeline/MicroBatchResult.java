package dev.starling.training.pipeline;

/**
 * What became of one micro-batch sent through the pipeline.
 *
 * @param status    how it ended
 * @param loss      the last stage's loss when DONE, else NaN
 * @param lostStage the stage that had no usable peer (STAGE_LOST), else -1
 * @param reroutes  hops that had to go to another peer of the same stage
 */
public record MicroBatchResult(Status status, float loss, int lostStage, int reroutes) {
    /** How a micro-batch ended. */
    public enum Status {
        /** Forward and backward ran through every stage; every stage peer on the path holds its gradients. */
        DONE,
        /** A stage had no peer left that answered: the stage must be reassigned and rebuilt (CheckFree). */
        STAGE_LOST,
        /** A peer holding the micro-batch's activations vanished before its backward; the micro-batch is lost. */
        DROPPED
    }
}
