package dev.starling.p2p.crypto;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.starling.p2p.core.KeyType;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.proto.KeysProto;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * Creates and decodes libp2p keys. Ed25519 keys can sign (our identity); Ed25519, secp256k1, ECDSA and RSA
 * public keys can verify. Pure functions; thread-safe.
 */
public final class Keys {
    /** Largest encoded key we decode (an RSA-8192 PKIX key is about 1.1 KiB). */
    public static final int MAX_ENCODED_KEY = 2048;

    private Keys() {
    }

    /**
     * Generates a fresh Ed25519 key from the system's secure random source.
     *
     * @return a new private key
     */
    public static PrivateKey generateEd25519() {
        byte[] seed = new byte[Ed25519Keys.SEED_BYTES];
        new SecureRandom().nextBytes(seed);
        return Ed25519Keys.fromSeed(seed);
    }

    /**
     * Derives an Ed25519 key from a 32-byte seed (RFC 8032 private key).
     *
     * @param seed 32 bytes
     * @return the private key
     */
    public static PrivateKey ed25519FromSeed(byte[] seed) {
        return Ed25519Keys.fromSeed(seed);
    }

    /**
     * Derives a test key: the Ed25519 key whose 32-byte seed is {@code n} repeated. The js interop harness
     * uses the same rule ({@code new Uint8Array(32).fill(n)}), so peer ids are fixed across languages.
     *
     * @param n the test seed, 0 to 255
     * @return the private key
     */
    public static PrivateKey ed25519ForTest(int n) {
        byte[] seed = new byte[Ed25519Keys.SEED_BYTES];
        Arrays.fill(seed, (byte) n);
        return Ed25519Keys.fromSeed(seed);
    }

    /**
     * Decodes a libp2p {@code PublicKey} protobuf.
     *
     * @param bytes the encoding
     * @return the key
     * @throws P2pException PROTOCOL_VIOLATION if malformed or of an unsupported type
     */
    public static PublicKey unmarshalPublicKey(byte[] bytes) {
        if (bytes.length > MAX_ENCODED_KEY) {
            throw P2pException.protocolViolation("public key too long: " + bytes.length);
        }
        KeysProto.PublicKey pb;
        try {
            pb = KeysProto.PublicKey.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw P2pException.protocolViolation("malformed PublicKey protobuf: " + e.getMessage());
        }
        byte[] data = pb.getData().toByteArray();
        return switch (KeyType.ofNumber(pb.getType().getNumber())) {
            case ED25519 -> Ed25519Keys.publicKey(data);
            case SECP256K1 -> new EcdsaPublicKey(KeyType.SECP256K1, data);
            case ECDSA -> new EcdsaPublicKey(KeyType.ECDSA, data);
            case RSA -> new RsaPublicKey(data);
        };
    }

    /**
     * Decodes a libp2p {@code PrivateKey} protobuf (Ed25519 only).
     *
     * @param bytes the encoding, as written by {@link PrivateKey#marshal()}
     * @return the key
     * @throws P2pException PROTOCOL_VIOLATION if malformed or not Ed25519
     */
    public static PrivateKey unmarshalPrivateKey(byte[] bytes) {
        KeysProto.PrivateKey pb;
        try {
            pb = KeysProto.PrivateKey.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw P2pException.protocolViolation("malformed PrivateKey protobuf: " + e.getMessage());
        }
        if (pb.getType() != KeysProto.KeyType.Ed25519) {
            throw P2pException.protocolViolation("only Ed25519 private keys are supported, got " + pb.getType());
        }
        byte[] data = pb.getData().toByteArray();
        if (data.length != 64 && data.length != 32) {
            throw P2pException.protocolViolation("Ed25519 private key must be 64 bytes, got " + data.length);
        }
        PrivateKey key = Ed25519Keys.fromSeed(Arrays.copyOf(data, 32));
        if (data.length == 64 && !Arrays.equals(Arrays.copyOfRange(data, 32, 64), key.publicKey().raw())) {
            throw P2pException.protocolViolation("Ed25519 private key: public half does not match the seed");
        }
        return key;
    }

    static byte[] marshal(KeyType type, byte[] data, boolean isPrivate) {
        KeysProto.KeyType t = KeysProto.KeyType.forNumber(type.number());
        if (isPrivate) {
            return KeysProto.PrivateKey.newBuilder().setType(t).setData(ByteString.copyFrom(data)).build()
                    .toByteArray();
        }
        return KeysProto.PublicKey.newBuilder().setType(t).setData(ByteString.copyFrom(data)).build().toByteArray();
    }
}
