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
     * js-libp2p's default under StrictSign: {@code PublicKey protobuf ‖ seqno}. The key is the {@code key} field when
     * present, else the key inlined in an identity-multihash peer id ({@code from} without its 2-byte multihash
     * header); for sha2-256 ids without a key field it falls back to {@code from ‖ seqno}.
     */
    MessageIdFunction JS_DEFAULT = message -> {
        byte[] from = message.from();
        byte[] key = message.key();
        if (key.length == 0 && from.length > 2 && from[0] == 0x00) {
            key = java.util.Arrays.copyOfRange(from, 2, from.length);
        }
        if (key.length == 0) {
            return FROM_AND_SEQNO.idOf(message);
        }
        byte[] seqno = message.seqno();
        byte[] id = java.util.Arrays.copyOf(key, key.length + seqno.length);
        System.arraycopy(seqno, 0, id, key.length, seqno.length);
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
