package dev.starling.p2p.security.noise;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.proto.NoiseProto;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The {@code Noise_XX_25519_ChaChaPoly_SHA256} handshake with the libp2p payload (libp2p/specs
 * noise/README.md), free of I/O: handshake messages in and out as byte arrays, without the 2-byte framing.
 *
 * <pre>
 *   initiator                          responder
 *   -> e                                (msg 1, empty payload)
 *   <- e, ee, s, es, payload(R)         (msg 2: responder's identity key, signature, muxers)
 *   -> s, se, payload(I)                (msg 3: initiator's identity key, signature, muxers)
 * </pre>
 *
 * <p>The payload signs {@code "noise-libp2p-static-key:" || static X25519 key} with the identity key. The
 * initiator checks that the responder's identity matches the dialed peer id. Muxer: the first of the
 * initiator's list that the responder also lists. Confined to one thread.
 */
public final class NoiseHandshake {
    /** The protocol id negotiated by multistream-select. */
    public static final String PROTOCOL_ID = "/noise";
    private static final byte[] PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SIG_PREFIX = "noise-libp2p-static-key:".getBytes(StandardCharsets.US_ASCII);
    private static final int DH = 32;
    /** Most muxer ids we accept in NoiseExtensions. */
    static final int MAX_MUXERS = 16;

    private final boolean initiator;
    private final PrivateKey identity;
    private final List<String> muxers;
    private final PeerId expectedPeer;
    private final byte[] s = new byte[DH];
    private final byte[] sPub = new byte[DH];
    private final byte[] e = new byte[DH];
    private final byte[] ePub = new byte[DH];
    private byte[] rs;
    private byte[] re;
    private byte[] h;
    private byte[] ck;
    private NoiseCipherState k;
    private int step;
    private PublicKey remoteIdentity;
    private String muxer;
    private List<String> remoteMuxers = List.of();

    /**
     * Starts a handshake.
     *
     * @param initiator    true for the dialer
     * @param identity     our libp2p identity key
     * @param muxers       muxer ids we offer in NoiseExtensions, in preference order (may be empty)
     * @param expectedPeer the peer we dialed (initiator only), or null to accept anyone
     * @param random       source of the ephemeral and static X25519 keys
     */
    public NoiseHandshake(boolean initiator, PrivateKey identity, List<String> muxers, PeerId expectedPeer,
                          SecureRandom random) {
        this.initiator = initiator;
        this.identity = identity;
        this.muxers = List.copyOf(muxers);
        this.expectedPeer = expectedPeer;
        X25519.generatePrivateKey(random, s);
        X25519.generatePublicKey(s, 0, sPub, 0);
        X25519.generatePrivateKey(random, e);
        X25519.generatePublicKey(e, 0, ePub, 0);
        h = PROTOCOL_NAME.clone();
        ck = h.clone();
        mixHash(new byte[0]); // the empty prologue
    }

    /**
     * Returns true when it is our turn to write.
     *
     * @return whether {@link #writeMessage()} is next
     */
    public boolean isOurTurn() {
        return initiator ? step % 2 == 0 : step % 2 == 1;
    }

    /**
     * Returns true after message 3.
     *
     * @return whether the handshake is complete
     */
    public boolean isComplete() {
        return step == 3;
    }

    /**
     * Produces our next handshake message.
     *
     * @return the message, at most 65535 bytes
     */
    public byte[] writeMessage() {
        if (!isOurTurn() || isComplete()) throw new IllegalStateException("not our turn in noise handshake");
        byte[] out;
        if (step == 0) {
            mixHash(ePub);
            out = concat(ePub, encryptAndHash(new byte[0]));
        } else if (step == 1) {
            mixHash(ePub);
            mixKey(dh(e, re));
            byte[] encS = encryptAndHash(sPub);
            mixKey(dh(s, re));
            out = concat(ePub, encS, encryptAndHash(payload()));
        } else {
            byte[] encS = encryptAndHash(sPub);
            mixKey(dh(s, re));
            out = concat(encS, encryptAndHash(payload()));
        }
        step++;
        return out;
    }

    /**
     * Consumes the remote's next handshake message.
     *
     * @param msg the message without framing
     * @throws P2pException PROTOCOL_VIOLATION if malformed, BAD_PEER on a bad signature, failed authentication
     *                      or a peer id other than the dialed one
     */
    public void readMessage(byte[] msg) {
        if (isOurTurn() || isComplete()) throw P2pException.protocolViolation("unexpected noise handshake message");
        if (step == 0) {
            need(msg, DH);
            re = Arrays.copyOf(msg, DH);
            mixHash(re);
            decryptAndHash(Arrays.copyOfRange(msg, DH, msg.length)); // msg 1 payload: ignored (empty in libp2p)
        } else if (step == 1) {
            need(msg, DH + DH + NoiseCipherState.TAG);
            re = Arrays.copyOf(msg, DH);
            mixHash(re);
            mixKey(dh(e, re));
            rs = decryptAndHash(Arrays.copyOfRange(msg, DH, 2 * DH + NoiseCipherState.TAG));
            mixKey(dh(e, rs));
            checkPayload(decryptAndHash(Arrays.copyOfRange(msg, 2 * DH + NoiseCipherState.TAG, msg.length)));
        } else {
            need(msg, DH + NoiseCipherState.TAG);
            rs = decryptAndHash(Arrays.copyOf(msg, DH + NoiseCipherState.TAG));
            mixKey(dh(e, rs));
            checkPayload(decryptAndHash(Arrays.copyOfRange(msg, DH + NoiseCipherState.TAG, msg.length)));
        }
        step++;
    }

    /**
     * Returns the remote's proven identity key.
     *
     * @return the key, after the remote's payload was read
     */
    public PublicKey remoteIdentity() {
        return remoteIdentity;
    }

    /**
     * Returns the muxer both sides listed, or null to negotiate one with multistream-select.
     *
     * @return the muxer id or null
     */
    public String muxer() {
        return muxer;
    }

    /**
     * Splits into the transport cipher states, after completion.
     *
     * @return {send, receive}
     */
    NoiseCipherState[] split() {
        if (!isComplete()) throw new IllegalStateException("handshake not complete");
        byte[][] keys = hkdf(ck, new byte[0]);
        NoiseCipherState c1 = new NoiseCipherState(keys[0]);
        NoiseCipherState c2 = new NoiseCipherState(keys[1]);
        return initiator ? new NoiseCipherState[] {c1, c2} : new NoiseCipherState[] {c2, c1};
    }

    private byte[] payload() {
        return payload(identity, sPub, muxers);
    }

    private void checkPayload(byte[] bytes) {
        VerifiedPayload v = verifyPayload(bytes, rs, expectedPeer);
        remoteIdentity = v.identity();
        remoteMuxers = v.muxers();
        List<String> initiatorList = initiator ? muxers : remoteMuxers;
        List<String> responderList = initiator ? remoteMuxers : muxers;
        muxer = initiatorList.stream().filter(responderList::contains).findFirst().orElse(null);
    }

    /** A handshake payload whose signature checked out. */
    record VerifiedPayload(PublicKey identity, List<String> muxers) {
    }

    /**
     * Parses and checks a libp2p handshake payload: well formed, identity key signs the remote static key,
     * identity is the expected peer.
     *
     * @param bytes        the decrypted payload
     * @param remoteStatic the remote's X25519 static key
     * @param expectedPeer the dialed peer, or null
     * @return the identity and offered muxers
     * @throws P2pException PROTOCOL_VIOLATION if malformed, BAD_PEER if the signature or identity is wrong
     */
    static VerifiedPayload verifyPayload(byte[] bytes, byte[] remoteStatic, PeerId expectedPeer) {
        NoiseProto.NoiseHandshakePayload p;
        try {
            p = NoiseProto.NoiseHandshakePayload.parseFrom(bytes);
        } catch (InvalidProtocolBufferException ex) {
            throw P2pException.protocolViolation("malformed noise handshake payload: " + ex.getMessage());
        }
        if (!p.hasIdentityKey() || !p.hasIdentitySig()) {
            throw P2pException.protocolViolation("noise handshake payload without identity key or signature");
        }
        PublicKey key = Keys.unmarshalPublicKey(p.getIdentityKey().toByteArray());
        if (!key.verify(concat(SIG_PREFIX, remoteStatic), p.getIdentitySig().toByteArray())) {
            throw P2pException.badPeer("noise handshake: identity signature over the static key is invalid");
        }
        PeerId remote = key.toPeerId();
        if (expectedPeer != null && !expectedPeer.equals(remote)) {
            throw P2pException.badPeer("dialed " + expectedPeer + " but the remote proved " + remote);
        }
        if (p.hasExtensions() && p.getExtensions().getStreamMuxersCount() > MAX_MUXERS) {
            throw P2pException.protocolViolation("noise extensions list more than " + MAX_MUXERS + " muxers");
        }
        return new VerifiedPayload(key, p.hasExtensions() ? List.copyOf(p.getExtensions().getStreamMuxersList())
                : List.of());
    }

    /**
     * Builds a signed handshake payload (for tests and fuzzing).
     *
     * @param identity     the signing identity
     * @param staticPublic the X25519 static key it vouches for
     * @param muxers       muxers to list
     * @return the payload bytes
     */
    static byte[] payload(PrivateKey identity, byte[] staticPublic, List<String> muxers) {
        NoiseProto.NoiseHandshakePayload.Builder b = NoiseProto.NoiseHandshakePayload.newBuilder()
                .setIdentityKey(ByteString.copyFrom(identity.publicKey().marshal()))
                .setIdentitySig(ByteString.copyFrom(identity.sign(concat(SIG_PREFIX, staticPublic))));
        if (!muxers.isEmpty()) b.setExtensions(NoiseProto.NoiseExtensions.newBuilder().addAllStreamMuxers(muxers));
        return b.build().toByteArray();
    }

    private byte[] encryptAndHash(byte[] plaintext) {
        byte[] c = k == null ? plaintext : k.encrypt(h, plaintext);
        mixHash(c);
        return c;
    }

    private byte[] decryptAndHash(byte[] ciphertext) {
        byte[] p = k == null ? ciphertext : k.decrypt(h, ciphertext);
        mixHash(ciphertext);
        return p;
    }

    private void mixHash(byte[] data) {
        h = sha256(h, data);
    }

    private void mixKey(byte[] ikm) {
        byte[][] out = hkdf(ck, ikm);
        ck = out[0];
        k = new NoiseCipherState(out[1]);
    }

    private static byte[] dh(byte[] priv, byte[] pub) {
        byte[] out = new byte[DH];
        if (!X25519.calculateAgreement(priv, 0, pub, 0, out, 0)) {
            throw P2pException.badPeer("noise: X25519 agreement with a low-order point");
        }
        return out;
    }

    private static byte[][] hkdf(byte[] chainingKey, byte[] ikm) {
        byte[] temp = hmac(chainingKey, ikm);
        byte[] out1 = hmac(temp, new byte[] {1});
        byte[] out2 = hmac(temp, concat(out1, new byte[] {2}));
        return new byte[][] {out1, out2};
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException ex) {
            throw P2pException.internal("no HmacSHA256", ex);
        }
    }

    private static byte[] sha256(byte[] a, byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(a);
            md.update(b);
            return md.digest();
        } catch (GeneralSecurityException ex) {
            throw P2pException.internal("no SHA-256", ex);
        }
    }

    private static void need(byte[] msg, int n) {
        if (msg.length < n) throw P2pException.protocolViolation("noise handshake message too short: " + msg.length);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
