package dev.starling.p2p.pubsub;

/**
 * A remote peer sent a pubsub RPC that breaks the wire format or a cap. The peer is at fault; the owner logs one line
 * naming the peer and the {@link Reason}, and closes the stream. Unchecked.
 */
public final class PubsubWireException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What was wrong. */
    public enum Reason {
        /** The RPC is larger than the cap. */
        RPC_TOO_LARGE,
        /** Too many subscriptions, messages, control entries or ids. */
        TOO_MANY_ENTRIES,
        /** A field is longer than its cap (topic, id, payload). */
        FIELD_TOO_LARGE,
        /** Not a valid protobuf encoding of the schema (truncated, wrong wire type, missing required field). */
        MALFORMED
    }

    private final Reason reason;

    /**
     * Creates the exception.
     *
     * @param reason  what was wrong
     * @param message detail naming the values
     */
    public PubsubWireException(Reason reason, String message) {
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
