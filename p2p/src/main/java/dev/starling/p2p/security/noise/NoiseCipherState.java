package dev.starling.p2p.security.noise;

import dev.starling.p2p.core.P2pException;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise CipherState for ChaChaPoly: a 32-byte key and a 64-bit nonce counter, on the JDK's
 * ChaCha20-Poly1305 (which has CPU intrinsics). Nonce = 4 zero bytes then the counter, little endian.
 * Confined to one thread (the connection's event loop). Buffers passed in are not released here.
 */
final class NoiseCipherState {
    /** Poly1305 tag length. */
    static final int TAG = 16;
    private final SecretKeySpec key;
    private final Cipher cipher;
    private final byte[] nonce = new byte[12];
    private long n;

    NoiseCipherState(byte[] key32) {
        this.key = new SecretKeySpec(key32, "ChaCha20");
        try {
            this.cipher = Cipher.getInstance("ChaCha20-Poly1305");
        } catch (GeneralSecurityException e) {
            throw P2pException.internal("no ChaCha20-Poly1305 in this JDK", e);
        }
    }

    private IvParameterSpec nextNonce() {
        if (n == -1L) throw P2pException.internal("noise nonce exhausted", null);
        long v = n++;
        for (int i = 0; i < 8; i++) nonce[4 + i] = (byte) (v >>> (8 * i));
        return new IvParameterSpec(nonce);
    }

    byte[] encrypt(byte[] ad, byte[] plaintext) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, nextNonce());
            cipher.updateAAD(ad);
            return cipher.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw P2pException.internal("noise encrypt failed", e);
        }
    }

    byte[] decrypt(byte[] ad, byte[] ciphertext) {
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, nextNonce());
            cipher.updateAAD(ad);
            return cipher.doFinal(ciphertext);
        } catch (AEADBadTagException e) {
            throw P2pException.badPeer("noise message failed authentication");
        } catch (GeneralSecurityException e) {
            throw P2pException.internal("noise decrypt failed", e);
        }
    }

    /** Encrypts {@code len} readable bytes of {@code in} into {@code out} (len + {@link #TAG} bytes). */
    void encrypt(ByteBuf in, int len, ByteBuf out) {
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, nextNonce());
            out.ensureWritable(len + TAG);
            if (out.hasArray() && encryptArrays(in, len, out)) return;
            ByteBuffer dst = out.nioBuffer(out.writerIndex(), len + TAG);
            int written = 0;
            if (in.nioBufferCount() == 1) {
                written = cipher.doFinal(in.nioBuffer(in.readerIndex(), len), dst);
            } else {
                // a composite (yamux header + payload): feed each part, no merging copy
                ByteBuffer[] parts = in.nioBuffers(in.readerIndex(), len);
                for (ByteBuffer part : parts) written += cipher.update(part, dst);
                written += cipher.doFinal(ByteBuffer.allocate(0), dst);
            }
            in.skipBytes(len);
            out.writerIndex(out.writerIndex() + written);
        } catch (GeneralSecurityException e) {
            throw P2pException.internal("noise encrypt failed", e);
        }
    }

    /**
     * Encrypts from heap arrays straight into {@code out}'s array (the JDK's fastest path, no ByteBuffer copies).
     * Returns false, having done nothing, when a part of {@code in} is not array-backed.
     */
    private boolean encryptArrays(ByteBuf in, int len, ByteBuf out) throws GeneralSecurityException {
        ByteBuffer[] parts = in.nioBuffers(in.readerIndex(), len);
        for (ByteBuffer p : parts) {
            if (!p.hasArray()) return false;
        }
        byte[] dst = out.array();
        int at = out.arrayOffset() + out.writerIndex();
        int written = 0;
        for (ByteBuffer p : parts) {
            written += cipher.update(p.array(), p.arrayOffset() + p.position(), p.remaining(), dst, at + written);
        }
        written += cipher.doFinal(dst, at + written);
        in.skipBytes(len);
        out.writerIndex(out.writerIndex() + written);
        return true;
    }

    /** Decrypts all readable bytes of {@code in} into {@code out}. */
    void decrypt(ByteBuf in, ByteBuf out) {
        int len = in.readableBytes();
        if (len < TAG) throw P2pException.protocolViolation("noise frame shorter than its tag: " + len);
        try {
            cipher.init(Cipher.DECRYPT_MODE, key, nextNonce());
            if (in.hasArray() && out.hasArray()) {
                out.ensureWritable(len - TAG);
                int written = cipher.doFinal(in.array(), in.arrayOffset() + in.readerIndex(), len, out.array(),
                        out.arrayOffset() + out.writerIndex());
                in.skipBytes(len);
                out.writerIndex(out.writerIndex() + written);
                return;
            }
            ByteBuffer src = in.nioBuffer(in.readerIndex(), len);
            out.ensureWritable(len - TAG);
            ByteBuffer dst = out.nioBuffer(out.writerIndex(), len - TAG);
            int written = cipher.doFinal(src, dst);
            in.skipBytes(len);
            out.writerIndex(out.writerIndex() + written);
        } catch (AEADBadTagException e) {
            throw P2pException.badPeer("noise frame failed authentication");
        } catch (GeneralSecurityException e) {
            throw P2pException.internal("noise decrypt failed", e);
        }
    }
}
