package dev.starling.p2p.core;

/**
 * The one unchecked root of every failure in {@code p2p}; its {@link Category} says who is at fault.
 *
 * <p>A {@link Category#BAD_PEER} or {@link Category#PROTOCOL_VIOLATION} raised while reading from a
 * connection closes that connection (never the daemon). Expected outcomes such as back-pressure or
 * "not connected" are return values, not exceptions (STYLE rule 7). Thread-safe, immutable.
 */
public class P2pException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Who is at fault. */
    public enum Category {
        /** The remote peer is misbehaving or is not who it claims to be (bad key, bad signature, cap broken). */
        BAD_PEER,
        /** Bytes on the wire do not follow the protocol (malformed frame, unexpected message). */
        PROTOCOL_VIOLATION,
        /** A fault on our side (bug, resource exhausted, closed host). */
        INTERNAL,
        /** The connection or stream was closed or reset, or a timeout expired: nobody's fault. */
        CLOSED
    }

    private final Category category;

    /**
     * Creates an exception.
     *
     * @param category who is at fault
     * @param message  one line for people, naming the value that was wrong
     */
    public P2pException(Category category, String message) {
        super(message);
        this.category = category;
    }

    /**
     * Creates an exception with a cause.
     *
     * @param category who is at fault
     * @param message  one line for people
     * @param cause    the underlying failure
     */
    public P2pException(Category category, String message, Throwable cause) {
        super(message, cause);
        this.category = category;
    }

    /**
     * Returns who is at fault.
     *
     * @return the category, never null
     */
    public Category category() {
        return category;
    }

    /**
     * Shorthand for a {@link Category#BAD_PEER} exception.
     *
     * @param message what the peer did wrong
     * @return a new exception
     */
    public static P2pException badPeer(String message) {
        return new P2pException(Category.BAD_PEER, message);
    }

    /**
     * Shorthand for a {@link Category#PROTOCOL_VIOLATION} exception.
     *
     * @param message what was malformed
     * @return a new exception
     */
    public static P2pException protocolViolation(String message) {
        return new P2pException(Category.PROTOCOL_VIOLATION, message);
    }

    /**
     * Shorthand for a {@link Category#INTERNAL} exception.
     *
     * @param message what failed on our side
     * @param cause   the underlying failure, may be null
     * @return a new exception
     */
    public static P2pException internal(String message, Throwable cause) {
        return new P2pException(Category.INTERNAL, message, cause);
    }

    /**
     * Shorthand for a {@link Category#CLOSED} exception.
     *
     * @param message what was closed
     * @return a new exception
     */
    public static P2pException closed(String message) {
        return new P2pException(Category.CLOSED, message);
    }
}
