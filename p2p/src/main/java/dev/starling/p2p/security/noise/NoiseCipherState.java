package dev.starling.p2p.security.noise;

import dev.starling.p2p.core.P2pException;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import javax.crypto.AEADBadTagException;

/**
 * A Noise CipherState for ChaChaPoly: a 32-byte key and a 64-bit nonce counter. Nonce = 4 zero bytes then the
 * counter, little endian. Runs on {@link ChaChaPolyAead} (our Vector API ChaCha20 and our Poly1305: the JDK's
 * ChaCha20-Poly1305 has no Poly1305 intrinsic without AVX-512). Confined to one thread (the connection's event
 * loop). Buffers passed in are not released here.
 */
final class NoiseCipherState {
    /** Poly1305 tag length. */
    static final int TAG = 16;
    private static final byte[] NO_AD = new byte[0];
    private final ChaChaPolyAead aead;
    private final byte[] nonce = new byte[12];
    private byte[] scratch = new byte[0];
    private long n;

    NoiseCipherState(byte[] key32) {
        this.aead = new ChaChaPolyAead(key32);
    }

    private byte[] nextNonce() {
        if (n == -1L) throw P2pException.internal("noise nonce exhausted", null);
        long v = n++;
        for (int i = 0; i < 8; i++) nonce[4 + i] = (byte) (v >>> (8 * i));
        return nonce;
    }

    private byte[] scratch(int len) {
        if (scratch.length < len) scratch = new byte[Math.max(len, 65_535)];
        return scratch;
    }

    byte[] encrypt(byte[] ad, byte[] plaintext) {
        byte[] out = new byte[plaintext.length + TAG];
        aead.begin(nextNonce(), ad);
        aead.encrypt(plaintext, 0, plaintext.length, out, 0);
        aead.sealTag(out, plaintext.length);
        return out;
    }

    byte[] decrypt(byte[] ad, byte[] ciphertext) {
        if (ciphertext.length < TAG) throw P2pException.protocolViolation("noise message shorter than its tag");
        int len = ciphertext.length - TAG;
        byte[] out = new byte[len];
        try {
            aead.begin(nextNonce(), ad);
            aead.decrypt(ciphertext, 0, len, out, 0);
            aead.verifyTag(ciphertext, len);
            return out;
        } catch (AEADBadTagException e) {
            throw P2pException.badPeer("noise message failed authentication");
        }
    }

    /**
     * Encrypts {@code len} readable bytes of {@code in} into {@code out} (len + {@link #TAG} bytes). Each part of a
     * composite {@code in} (yamux header + payload) is encrypted straight into {@code out}'s array; a part that is
     * not array-backed is first copied there and encrypted in place, so there is no merging copy.
     */
    void encrypt(ByteBuf in, int len, ByteBuf out) {
        out.ensureWritable(len + TAG);
        boolean heapOut = out.hasArray();
        byte[] dst = heapOut ? out.array() : scratch(len + TAG);
        int at = heapOut ? out.arrayOffset() + out.writerIndex() : 0;
        aead.begin(nextNonce(), NO_AD);
        int done = 0;
        for (ByteBuffer part : in.nioBuffers(in.readerIndex(), len)) {
            int k = part.remaining();
            if (part.hasArray()) {
                aead.encrypt(part.array(), part.arrayOffset() + part.position(), k, dst, at + done);
            } else {
                part.get(dst, at + done, k);
                aead.encrypt(dst, at + done, k, dst, at + done);
            }
            done += k;
        }
        aead.sealTag(dst, at + len);
        in.skipBytes(len);
        if (heapOut) {
            out.writerIndex(out.writerIndex() + len + TAG);
        } else {
            out.writeBytes(dst, 0, len + TAG);
        }
    }

    /** Decrypts all readable bytes of {@code in} (a whole Noise message) into {@code out}. */
    void decrypt(ByteBuf in, ByteBuf out) {
        int len = in.readableBytes();
        if (len < TAG) throw P2pException.protocolViolation("noise frame shorter than its tag: " + len);
        int textLen = len - TAG;
        byte[] src;
        int srcOff;
        if (in.hasArray()) {
            src = in.array();
            srcOff = in.arrayOffset() + in.readerIndex();
        } else {
            src = scratch(len);
            in.getBytes(in.readerIndex(), src, 0, len);
            srcOff = 0;
        }
        out.ensureWritable(textLen);
        boolean heapOut = out.hasArray();
        byte[] dst = heapOut ? out.array() : scratch(len);
        int at = heapOut ? out.arrayOffset() + out.writerIndex() : 0;
        try {
            aead.begin(nextNonce(), NO_AD);
            aead.decrypt(src, srcOff, textLen, dst, at);
            aead.verifyTag(src, srcOff + textLen);
        } catch (AEADBadTagException e) {
            throw P2pException.badPeer("noise frame failed authentication");
        }
        in.skipBytes(len);
        if (heapOut) {
            out.writerIndex(out.writerIndex() + textLen);
        } else {
            out.writeBytes(dst, at, textLen);
        }
    }
}
