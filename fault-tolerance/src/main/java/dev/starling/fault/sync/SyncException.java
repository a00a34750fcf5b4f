package dev.starling.fault.sync;

/**
 * State sync failed, with who is at fault: a source that sent bytes that cannot be valid ({@link Category#BAD_PEER}),
 * no honest source left or the sources disagreeing with the published hash ({@link Category#UNAVAILABLE}), or a
 * misuse on this side ({@link Category#INTERNAL}).
 */
public final class SyncException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Who is at fault. */
    public enum Category {
        /** A source sent malformed, oversized or wrongly hashed bytes. */
        BAD_PEER,
        /** Not enough honest, live sources to finish. */
        UNAVAILABLE,
        /** A bug or misuse on this side. */
        INTERNAL
    }

    private final Category category;

    /**
     * Creates an exception.
     *
     * @param category who is at fault
     * @param message  one line naming what was wrong
     */
    public SyncException(Category category, String message) {
        super(message);
        this.category = category;
    }

    /**
     * Who is at fault.
     *
     * @return the category
     */
    public Category category() {
        return category;
    }

    /**
     * Shortcut for a {@link Category#BAD_PEER} exception.
     *
     * @param message what was wrong
     * @return the exception, for the caller to throw
     */
    public static SyncException badPeer(String message) {
        return new SyncException(Category.BAD_PEER, message);
    }

    @Override
    public String toString() {
        return "SyncException[" + category + "]: " + getMessage();
    }
}
