package dev.starling.p2p.core;

import dev.starling.p2p.multiformats.Base58;
import dev.starling.p2p.multiformats.PeerIdCodec;
import java.util.Arrays;
import java.util.Optional;

/**
 * A libp2p peer id: the multihash of the peer's encoded public key. Immutable and thread-safe;
 * equality is by bytes. The text form is base58btc ("12D3KooW..." for Ed25519 keys).
 *
 * @param bytes the multihash bytes; the constructor copies them
 */
public record PeerId(byte[] bytes) {
    /** Largest multihash we accept for a peer id (sha2-256 is 34 bytes, an identity Ed25519 key 38). */
    public static final int MAX_BYTES = 128;

    /**
     * Checks and copies the multihash.
     *
     * @param bytes the multihash bytes
     * @throws P2pException PROTOCOL_VIOLATION if they are not a valid identity or sha2-256 multihash
     */
    public PeerId {
        bytes = bytes.clone();
        PeerIdCodec.checkMultihash(bytes);
    }

    /**
     * Parses the text form: base58btc multihash, or a CIDv1 (multibase 'b', codec libp2p-key).
     *
     * @param text the text form
     * @return the peer id
     * @throws P2pException PROTOCOL_VIOLATION if malformed
     */
    public static PeerId fromString(String text) {
        return new PeerId(PeerIdCodec.parseText(text));
    }

    /**
     * Returns the multihash bytes.
     *
     * @return a fresh copy
     */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * Returns the public key inlined in an identity multihash, if any (Ed25519 and secp256k1 ids).
     *
     * @return the key, or empty for sha2-256 ids
     * @throws P2pException PROTOCOL_VIOLATION if the inlined key is malformed
     */
    public Optional<PublicKey> publicKey() {
        return PeerIdCodec.inlinedKey(bytes);
    }

    /**
     * Returns the base58btc text form.
     *
     * @return for example {@code 12D3KooW...}
     */
    public String toBase58() {
        return Base58.encode(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerId other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return toBase58();
    }
}
