package dev.starling.p2p.pubsub;

/**
 * Computes a message's id. Must be a pure function; called on the router's owner thread.
 */
@FunctionalInterface
public interface MessageIdFunction {
    /** The spec and go default: {@code from ‖ seqno}. */
    MessageIdFunction FROM_AND_SEQNO = message -> {
        byte[] from = message.from();
        byte[] seqno = message.seqno();
        byte[] id = new byte[from.length + seqno.length];
        System.arraycopy(from, 0, id, 0, from.length);
        System.arraycopy(seqno, 0, id, from.length, seqno.length);
        return new MessageId(id);
    };

    /**
     * Computes the id.
     *
     * @param message the message
     * @return its id
     */
    MessageId idOf(PubsubMessage message);
}
