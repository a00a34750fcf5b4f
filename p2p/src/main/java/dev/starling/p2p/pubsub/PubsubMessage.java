package dev.starling.p2p.pubsub;

import java.util.Arrays;
import java.util.Objects;

/**
 * One pubsub message as carried in an RPC (the protobuf {@code Message}). Empty arrays stand for absent fields.
 *
 * <p>Immutable by convention: callers must not mutate the arrays they pass or get. Any thread.
 *
 * @param from      the author's peer id bytes (empty under StrictNoSign)
 * @param data      the payload
 * @param seqno     8-byte big-endian sequence number (empty under StrictNoSign)
 * @param topic     the topic id
 * @param signature the author's signature (empty when unsigned)
 * @param key       the author's public key protobuf, only when it is not inlined in the peer id
 */
public record PubsubMessage(byte[] from, byte[] data, byte[] seqno, String topic, byte[] signature, byte[] key) {
    private static final byte[] EMPTY = new byte[0];

    /** Replaces nulls by empty arrays and checks the topic. */
    public PubsubMessage {
        from = from == null ? EMPTY : from;
        data = data == null ? EMPTY : data;
        seqno = seqno == null ? EMPTY : seqno;
        signature = signature == null ? EMPTY : signature;
        key = key == null ? EMPTY : key;
        Objects.requireNonNull(topic, "topic");
    }

    /**
     * Returns this message with a signature and key set.
     *
     * @param newSignature the signature
     * @param newKey the key field (empty when inlined in the peer id)
     * @return the signed copy
     */
    public PubsubMessage withSignature(byte[] newSignature, byte[] newKey) {
        return new PubsubMessage(from, data, seqno, topic, newSignature, newKey);
    }

    /**
     * Returns the encoded size estimate in bytes (fields plus small overhead), used for size accounting.
     *
     * @return approximate size
     */
    public int approximateSize() {
        return from.length + data.length + seqno.length + topic.length() + signature.length + key.length + 16;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PubsubMessage m && Arrays.equals(from, m.from) && Arrays.equals(data, m.data)
                && Arrays.equals(seqno, m.seqno) && topic.equals(m.topic)
                && Arrays.equals(signature, m.signature) && Arrays.equals(key, m.key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(from), Arrays.hashCode(data), Arrays.hashCode(seqno), topic);
    }

    @Override
    public String toString() {
        return "PubsubMessage[topic=" + topic + ", data=" + data.length + "B]";
    }
}
