package dev.starling.collectives;

/**
 * The one unchecked root exception of the collectives module (STYLE rule 7). Its {@link Category} says who is at
 * fault, so the caller knows whether to drop the sending peer, close a stream, or treat it as a local bug.
 *
 * <p>Thrown by codecs and validators on the thread that called them; it carries no resources to release.
 * Expected outcomes (a member missing its deadline, a part left without a reducer) are never reported
 * through this exception: they are fields of the result records.
 */
public final class CollectivesException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Who is at fault. */
    public enum Category {
        /** The remote peer sent bytes that cannot be valid: wrong sizes, bad checksum, NaN/Inf, bad codec. */
        BAD_PEER,
        /** The bytes are well formed but break the protocol: wrong run, round, part, sender or order. */
        PROTOCOL_VIOLATION,
        /** A bug or misuse on this side: bad arguments or non-finite local input. */
        INTERNAL
    }

    private final Category category;

    /**
     * Creates an exception.
     *
     * @param category who is at fault
     * @param message  one line naming the value that was wrong
     */
    public CollectivesException(final Category category, final String message) {
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
    public static CollectivesException badPeer(final String message) {
        return new CollectivesException(Category.BAD_PEER, message);
    }

    /**
     * Shortcut for a {@link Category#PROTOCOL_VIOLATION} exception.
     *
     * @param message what was wrong
     * @return the exception, for the caller to throw
     */
    public static CollectivesException protocolViolation(final String message) {
        return new CollectivesException(Category.PROTOCOL_VIOLATION, message);
    }

    /**
     * Shortcut for a {@link Category#INTERNAL} exception.
     *
     * @param message what was wrong
     * @return the exception, for the caller to throw
     */
    public static CollectivesException internal(final String message) {
        return new CollectivesException(Category.INTERNAL, message);
    }

    @Override
    public String toString() {
        return "CollectivesException[" + category + "]: " + getMessage();
    }
}
