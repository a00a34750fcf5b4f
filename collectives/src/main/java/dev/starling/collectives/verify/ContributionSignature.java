package dev.starling.collectives.verify;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.butterfly.ContributionDigest;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What a contribution's Ed25519 signature covers, and the signing and checking with the sender's libp2p identity
 * key: a domain tag, the run id, the round, the part, the sender's id and the contribution's
 * {@link ContributionDigest} (SHA-256 over its encoded chunks). Only the 64-byte signature travels; the reducer
 * rebuilds the rest from its own round and the bytes it received, so a signature cannot be replayed into another
 * run, round, part or sender, and any change to the payload breaks it. Pure; any thread.
 */
public final class ContributionSignature {
    /** Bytes of an Ed25519 signature, the only bytes this adds to a contribution. */
    public static final int SIGNATURE_BYTES = 64;
    /** Longest run id or sender id accepted into a message (peer ids are about 52 characters). */
    public static final int MAX_ID_BYTES = 256;
    private static final byte[] DOMAIN = "starling/contribution/1".getBytes(StandardCharsets.US_ASCII);

    private ContributionSignature() {
    }

    /**
     * The bytes that are signed.
     *
     * @param runId  the run id
     * @param round  the round
     * @param part   the part the contribution is for
     * @param sender the sender's roster id (its peer id on the mesh)
     * @param digest the contribution's digest (32 bytes)
     * @return the message
     * @throws CollectivesException INTERNAL for an id over {@link #MAX_ID_BYTES} or a digest that is not 32 bytes
     */
    public static byte[] message(final String runId, final long round, final int part, final String sender,
                                 final byte[] digest) {
        byte[] run = runId.getBytes(StandardCharsets.UTF_8);
        byte[] from = sender.getBytes(StandardCharsets.UTF_8);
        if (run.length > MAX_ID_BYTES || from.length > MAX_ID_BYTES || digest.length != ContributionDigest.BYTES) {
            throw CollectivesException.internal("contribution signature over a " + run.length + "-byte run id, a "
                + from.length + "-byte sender and a " + digest.length + "-byte digest");
        }
        return ByteBuffer.allocate(DOMAIN.length + 2 + run.length + 8 + 4 + 2 + from.length + digest.length)
            .put(DOMAIN).putShort((short) run.length).put(run).putLong(round).putInt(part)
            .putShort((short) from.length).put(from).put(digest).array();
    }

    /**
     * Signs a contribution.
     *
     * @param key     the sender's identity key
     * @param message from {@link #message}
     * @return the signature
     */
    public static byte[] sign(final PrivateKey key, final byte[] message) {
        return key.sign(message);
    }

    /**
     * Checks a signature; never throws for hostile input.
     *
     * @param key       the sender's public key, or null if unknown
     * @param message   from {@link #message}, rebuilt by the checker
     * @param signature the bytes that came with the contribution, or null
     * @return null if it verifies, else one line saying why not
     */
    public static String refusal(final PublicKey key, final byte[] message, final byte[] signature) {
        if (signature == null) {
            return "no signature came with it";
        }
        if (signature.length != SIGNATURE_BYTES) {
            return "a " + signature.length + "-byte signature, expected " + SIGNATURE_BYTES;
        }
        if (key == null) {
            return "the sender's public key is unknown";
        }
        boolean ok;
        try {
            ok = key.verify(message, signature);
        } catch (RuntimeException e) {
            ok = false;
        }
        return ok ? null : "the signature does not verify";
    }

    /**
     * The public key an Ed25519 peer id embeds.
     *
     * @param peerId a base58 peer id
     * @return the key, or empty if the id does not parse or does not embed its key
     */
    public static Optional<PublicKey> keyOf(final String peerId) {
        try {
            return PeerId.fromString(peerId).publicKey();
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
