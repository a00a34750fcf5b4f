package dev.starling.p2p.pubsub;

/**
 * The local identity that signs published messages under StrictSign. Implementations hold the private key.
 * Called on the router's owner thread.
 */
public interface MessageSigner {
    /**
     * Returns the local peer id bytes (the {@code from} field).
     *
     * @return peer id multihash bytes
     */
    byte[] localPeerId();

    /**
     * Returns the {@code key} field: empty when the public key is inlined in the peer id (Ed25519).
     *
     * @return key protobuf bytes or empty
     */
    byte[] keyField();

    /**
     * Signs a payload (already prefixed with {@code "libp2p-pubsub:"}).
     *
     * @param payload bytes to sign
     * @return the signature
     */
    byte[] sign(byte[] payload);
}
