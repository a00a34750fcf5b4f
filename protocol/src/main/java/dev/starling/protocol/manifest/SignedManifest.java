package dev.starling.protocol.manifest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A manifest as the run owner's node serves it: the TOML text and a signature by the owner's key
 * over {@link #signingPayload}. The signature scheme belongs to the caller (Starling uses the
 * libp2p Ed25519 host key, so a joiner checks it against the peer id it dialed).
 *
 * <p>Wire form, one message: {@code u32 tomlLength | toml (UTF-8) | u16 signatureLength | signature},
 * big-endian. {@link #decode} checks every length against {@link #MAX_TOML_BYTES} and
 * {@link #MAX_SIGNATURE_BYTES} before allocating. Immutable and thread-safe.
 *
 * @param toml      the manifest's text
 * @param signature the signature over {@link #signingPayload}
 */
public record SignedManifest(String toml, byte[] signature) {
    /** Largest manifest text accepted on the wire. */
    public static final int MAX_TOML_BYTES = (int) ManifestParser.MAX_MANIFEST_BYTES;
    /** Largest signature accepted on the wire. */
    public static final int MAX_SIGNATURE_BYTES = 1024;
    /** Largest encoded message. */
    public static final int MAX_ENCODED_BYTES = 4 + MAX_TOML_BYTES + 2 + MAX_SIGNATURE_BYTES;

    private static final byte[] DOMAIN = "starling-manifest:".getBytes(StandardCharsets.US_ASCII);

    /** Copies the signature so the record stays immutable. */
    public SignedManifest {
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /**
     * The bytes that are signed: a domain prefix, then the TOML text, so a manifest signature can
     * never be replayed as another kind of signed message.
     *
     * @param toml the manifest text
     * @return the payload to sign or verify
     */
    public static byte[] signingPayload(String toml) {
        byte[] text = toml.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[DOMAIN.length + text.length];
        System.arraycopy(DOMAIN, 0, out, 0, DOMAIN.length);
        System.arraycopy(text, 0, out, DOMAIN.length, text.length);
        return out;
    }

    /**
     * Encodes for the wire.
     *
     * @return the message bytes
     */
    public byte[] encode() {
        byte[] text = toml.getBytes(StandardCharsets.UTF_8);
        if (text.length > MAX_TOML_BYTES || signature.length > MAX_SIGNATURE_BYTES) {
            throw new IllegalArgumentException("manifest of " + text.length + " bytes or signature of "
                    + signature.length + " bytes is over the wire limit");
        }
        return ByteBuffer.allocate(4 + text.length + 2 + signature.length).putInt(text.length).put(text)
                .putShort((short) signature.length).put(signature).array();
    }

    /**
     * Decodes a message from a remote node.
     *
     * @param bytes the message
     * @return the signed manifest (signature not yet verified)
     * @throws ManifestException if the lengths are inconsistent or over the limits
     */
    public static SignedManifest decode(byte[] bytes) {
        if (bytes.length < 6 || bytes.length > MAX_ENCODED_BYTES) {
            throw new ManifestException("signed manifest of " + bytes.length + " bytes is malformed");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        int textLength = in.getInt();
        if (textLength < 0 || textLength > MAX_TOML_BYTES || textLength > in.remaining() - 2) {
            throw new ManifestException("signed manifest claims " + textLength + " bytes of text in a "
                    + bytes.length + "-byte message");
        }
        byte[] text = new byte[textLength];
        in.get(text);
        int signatureLength = Short.toUnsignedInt(in.getShort());
        if (signatureLength > MAX_SIGNATURE_BYTES || signatureLength != in.remaining()) {
            throw new ManifestException("signed manifest claims a " + signatureLength + "-byte signature with "
                    + in.remaining() + " bytes left");
        }
        byte[] signature = new byte[signatureLength];
        in.get(signature);
        try {
            String toml = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(text)).toString();
            return new SignedManifest(toml, signature);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new ManifestException("signed manifest text is not UTF-8", e);
        }
    }
}
