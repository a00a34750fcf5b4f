package dev.starling.p2p.pubsub;

/**
 * Checks a message signature against the author's key (inlined in {@code from} or carried in {@code key}).
 * Must not throw on malformed input: it returns false. Called on the router's owner thread.
 */
@FunctionalInterface
public interface SignatureVerifier {
    /**
     * Verifies.
     *
     * @param from      author peer id bytes
     * @param key       key field (may be empty)
     * @param payload   the signed payload ({@code "libp2p-pubsub:"} ‖ message without signature and key)
     * @param signature the signature
     * @return true when valid and the key matches {@code from}
     */
    boolean verify(byte[] from, byte[] key, byte[] payload, byte[] signature);
}
