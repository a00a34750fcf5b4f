package dev.starling.p2p.core;

/**
 * A libp2p private key that signs for its host's identity. Thread-safe; the key bytes never leave
 * the object except through {@link #marshal()}.
 */
public interface PrivateKey {
    /**
     * Returns the key type.
     *
     * @return the type, never null
     */
    KeyType type();

    /**
     * Signs {@code data} (Ed25519: plain RFC 8032 signature).
     *
     * @param data the bytes to sign
     * @return the signature in the key type's libp2p encoding
     */
    byte[] sign(byte[] data);

    /**
     * Returns the matching public key.
     *
     * @return the public key
     */
    PublicKey publicKey();

    /**
     * Returns the libp2p {@code PrivateKey} protobuf encoding, for key files.
     *
     * @return a fresh copy; the caller must keep it secret
     */
    byte[] marshal();
}
