package dev.starling.p2p.pubsub;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A pubsub message id (the output of a {@link MessageIdFunction}), usable as a map key.
 *
 * <p>Immutable; any thread.
 */
public final class MessageId {
    private final byte[] bytes;
    private final int hash;

    /**
     * Wraps message-id bytes.
     *
     * @param bytes the id (copied)
     */
    public MessageId(byte[] bytes) {
        this.bytes = bytes.clone();
        this.hash = Arrays.hashCode(this.bytes);
    }

    /**
     * Returns a copy of the id bytes.
     *
     * @return the bytes
     */
    public byte[] bytes() {
        return bytes.clone();
    }

    int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MessageId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "msg:" + HexFormat.of().formatHex(bytes);
    }
}
