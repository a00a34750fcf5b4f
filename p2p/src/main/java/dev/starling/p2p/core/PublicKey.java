package dev.starling.p2p.core;

/**
 * A libp2p public key of any supported type. Immutable and thread-safe.
 *
 * <p>Implementations live in {@code dev.starling.p2p.crypto}; obtain one with
 * {@code Keys.unmarshalPublicKey(bytes)} or {@link PeerId#publicKey()}.
 */
public interface PublicKey {
    /**
     * Returns the key type.
     *
     * @return the type, never null
     */
    KeyType type();

    /**
     * Returns the type-specific key bytes (the {@code Data} field of the protobuf).
     *
     * @return a fresh copy
     */
    byte[] raw();

    /**
     * Returns the deterministic libp2p {@code PublicKey} protobuf encoding.
     *
     * @return a fresh copy
     */
    byte[] marshal();

    /**
     * Verifies a signature made by the matching private key.
     *
     * @param data      the signed bytes
     * @param signature the signature in the key type's libp2p encoding
     * @return true only if the signature is valid; never throws for malformed signatures
     */
    boolean verify(byte[] data, byte[] signature);

    /**
     * Derives the peer id (identity multihash if the encoding is at most 42 bytes, else sha2-256).
     *
     * @return the peer id of this key
     */
    PeerId toPeerId();
}
