package dev.starling.protocol.admission;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A run owner's permission for one peer id to take part in a run whose manifest says
 * {@code [admission] policy = "token"}. It is signed by the run key (the key that signs the manifest, the
 * coordinator's libp2p key) over {@link #signingPayload}; the signature scheme belongs to the caller, as for
 * {@code SignedManifest}. The token names the peer id, so a copied token admits no one else. Immutable.
 *
 * <p>Wire form, one message: {@code u8 runIdLength | runId | u8 peerIdLength | peerId (base58) | i64 expiresAtS |
 * u16 signatureLength | signature}, big-endian, every length checked against its cap before allocating. Text form
 * (for the command line): {@code "st1."} followed by the wire form in unpadded base64url.
 *
 * @param runId      the run it admits to (64 hex digits)
 * @param peerId     the admitted peer's id (base58)
 * @param expiresAtS Unix seconds after which it no longer admits; 0 for never
 * @param signature  the run key's signature over {@link #signingPayload}
 */
public record JoinToken(String runId, String peerId, long expiresAtS, byte[] signature) {
    /** Longest run id or peer id accepted. */
    public static final int MAX_ID_CHARS = 128;
    /** Longest signature accepted. */
    public static final int MAX_SIGNATURE_BYTES = 512;
    /** Largest encoded token. */
    public static final int MAX_ENCODED_BYTES = 1 + MAX_ID_CHARS + 1 + MAX_ID_CHARS + 8 + 2 + MAX_SIGNATURE_BYTES;

    private static final String TEXT_PREFIX = "st1.";
    private static final String DOMAIN = "starling-join-token:";

    /** Checks the fields and copies the signature. */
    public JoinToken {
        if (runId == null || peerId == null || signature == null || runId.isEmpty() || peerId.isEmpty()
                || runId.length() > MAX_ID_CHARS || peerId.length() > MAX_ID_CHARS
                || signature.length > MAX_SIGNATURE_BYTES || expiresAtS < 0) {
            throw new AdmissionException("join token fields are missing or over their caps");
        }
        signature = signature.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /**
     * The bytes the run key signs: a domain prefix, the run id, the peer id and the expiry, so a token signature
     * can never be replayed as a manifest signature or for another run or peer.
     *
     * @param runId      the run id
     * @param peerId     the peer id
     * @param expiresAtS the expiry in Unix seconds, 0 for never
     * @return the payload to sign or verify
     */
    public static byte[] signingPayload(String runId, String peerId, long expiresAtS) {
        return (DOMAIN + runId + "\n" + peerId + "\n" + expiresAtS).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * This token's signing payload.
     *
     * @return {@link #signingPayload(String, String, long)} of the fields
     */
    public byte[] signingPayload() {
        return signingPayload(runId, peerId, expiresAtS);
    }

    /**
     * Whether the token has expired.
     *
     * @param nowEpochS Unix seconds now
     * @return true past the expiry
     */
    public boolean expired(long nowEpochS) {
        return expiresAtS != 0 && nowEpochS > expiresAtS;
    }

    /**
     * Encodes for the wire.
     *
     * @return the message bytes
     */
    public byte[] encode() {
        byte[] run = runId.getBytes(StandardCharsets.US_ASCII);
        byte[] peer = peerId.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(1 + run.length + 1 + peer.length + 8 + 2 + signature.length)
                .put((byte) run.length).put(run).put((byte) peer.length).put(peer).putLong(expiresAtS)
                .putShort((short) signature.length).put(signature).array();
    }

    /**
     * Decodes a token from a remote peer or a user (signature not yet verified).
     *
     * @param bytes the message
     * @return the token
     * @throws AdmissionException if a length is inconsistent or over its cap
     */
    public static JoinToken decode(byte[] bytes) {
        if (bytes.length < 13 || bytes.length > MAX_ENCODED_BYTES) {
            throw new AdmissionException("join token of " + bytes.length + " bytes is malformed");
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            String run = ascii(in, Byte.toUnsignedInt(in.get()));
            String peer = ascii(in, Byte.toUnsignedInt(in.get()));
            long expires = in.getLong();
            int signatureLength = Short.toUnsignedInt(in.getShort());
            if (signatureLength != in.remaining()) {
                throw new AdmissionException("join token claims a " + signatureLength + "-byte signature with "
                        + in.remaining() + " bytes left");
            }
            byte[] signature = new byte[signatureLength];
            in.get(signature);
            return new JoinToken(run, peer, expires, signature);
        } catch (java.nio.BufferUnderflowException e) {
            throw new AdmissionException("join token of " + bytes.length + " bytes is truncated");
        }
    }

    private static String ascii(ByteBuffer in, int length) {
        if (length > in.remaining()) {
            throw new AdmissionException("join token claims a " + length + "-byte field with " + in.remaining()
                    + " bytes left");
        }
        byte[] text = new byte[length];
        in.get(text);
        for (byte b : text) {
            if (b <= ' ' || b > '~') {
                throw new AdmissionException("join token ids must be printable ASCII");
            }
        }
        return new String(text, StandardCharsets.US_ASCII);
    }

    /**
     * The text form given to a volunteer.
     *
     * @return {@code st1.<base64url>}
     */
    public String toText() {
        return TEXT_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(encode());
    }

    /**
     * Parses the text form.
     *
     * @param text what {@link #toText()} wrote (surrounding whitespace ignored)
     * @return the token (signature not yet verified)
     * @throws AdmissionException if it is not a join token
     */
    public static JoinToken fromText(String text) {
        String s = text.strip();
        if (!s.startsWith(TEXT_PREFIX) || s.length() > 4 + MAX_ENCODED_BYTES * 4 / 3 + 4) {
            throw new AdmissionException("not a Starling join token (they start with " + TEXT_PREFIX + ")");
        }
        try {
            return decode(Base64.getUrlDecoder().decode(s.substring(TEXT_PREFIX.length())));
        } catch (IllegalArgumentException e) {
            throw new AdmissionException("join token is not valid base64url");
        }
    }
}
