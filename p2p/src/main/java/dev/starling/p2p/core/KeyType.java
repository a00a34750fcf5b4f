package dev.starling.p2p.core;

/** libp2p key types with their protobuf enum numbers. */
public enum KeyType {
    /** RSA, PKIX DER public keys, PKCS#1 v1.5 SHA-256 signatures. */
    RSA(0),
    /** Ed25519, 32-byte public keys, RFC 8032 signatures. Starling's own identities use it. */
    ED25519(1),
    /** secp256k1, 33-byte compressed public keys, DER ECDSA over SHA-256. */
    SECP256K1(2),
    /** ECDSA (P-256 and others), PKIX DER public keys, DER ECDSA over SHA-256. */
    ECDSA(3);

    private final int number;

    KeyType(int number) {
        this.number = number;
    }

    /**
     * Returns the protobuf enum number.
     *
     * @return 0 to 3
     */
    public int number() {
        return number;
    }

    /**
     * Looks a key type up by its protobuf number.
     *
     * @param number the enum number from the wire
     * @return the key type
     * @throws P2pException PROTOCOL_VIOLATION if the number is unknown
     */
    public static KeyType ofNumber(int number) {
        for (KeyType t : values()) {
            if (t.number == number) return t;
        }
        throw P2pException.protocolViolation("unknown key type " + number);
    }
}
