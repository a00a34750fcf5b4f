package dev.starling.p2p.kad;

/**
 * A remote peer sent a DHT message that breaks the wire format or a cap: the peer is at fault; the owner logs one
 * line and resets the stream. Unchecked.
 */
public final class DhtWireException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Reason {
        /** The message is larger than the cap. */
        MESSAGE_TOO_LARGE,
        /** Too many peers or addresses. */
        TOO_MANY_ENTRIES,
        /** A field is longer than its cap. */
        FIELD_TOO_LARGE,
        /** Not a valid encoding (truncated, wrong wire type, unknown message type, bad peer id). */
        MALFORMED
    }

    private final Reason reason;

    /**
     * Creates the exception.
     *
     * @param reason  what was wrong
     * @param message detail naming the values
     */
    public DhtWireException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    /**
     * Returns what was wrong.
     *
     * @return the reason
     */
    public Reason reason() {
        return reason;
    }
}
