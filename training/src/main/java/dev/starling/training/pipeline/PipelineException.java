package dev.starling.training.pipeline;

/**
 * The pipeline's unchecked exception (STYLE rule 7): {@link Category#BAD_INPUT} when a peer sent a frame that cannot
 * be valid (wrong size or shape, NaN/Inf, from a stage that is not adjacent), {@link Category#INTERNAL} for a bug on
 * this side. Expected outcomes (a hop that timed out, a stage with no peers left) are values of
 * {@link MicroBatchResult}, never this exception.
 */
public final class PipelineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Who is at fault. */
    public enum Category {
        /** The remote peer. */
        BAD_INPUT,
        /** This side. */
        INTERNAL
    }

    private final Category category;

    private PipelineException(Category category, String message) {
        super(message);
        this.category = category;
    }

    /**
     * A frame from a peer was invalid.
     *
     * @param message one line naming the wrong value
     * @return the exception, for the caller to throw
     */
    public static PipelineException badInput(String message) {
        return new PipelineException(Category.BAD_INPUT, message);
    }

    /**
     * Who is at fault.
     *
     * @return the category
     */
    public Category category() {
        return category;
    }
}
