package dev.starling.p2p.security.noise;

import java.security.MessageDigest;
import javax.crypto.AEADBadTagException;

/**
 * The ChaCha20-Poly1305 AEAD of RFC 8439 section 2.8, built from our {@link ChaCha20} (Vector API, several blocks
 * per step; the JDK's XORs its key stream in a scalar Java loop) and our {@link Poly1305} (the JDK's Poly1305 only
 * has an intrinsic with AVX-512). Output is byte-identical to the JDK's {@code ChaCha20-Poly1305} Cipher (tested on
 * the RFC vectors and random inputs).
 *
 * <p>Streaming, heap arrays only: {@link #begin}, {@link #encrypt}/{@link #decrypt} parts in order, then
 * {@link #sealTag} (encrypting) or {@link #verifyTag} (decrypting; call before trusting the plaintext). Reusable for
 * any number of messages with fresh nonces. Not thread-safe.
 */
final class ChaChaPolyAead {
    private static final byte[] ZEROS = new byte[64];
    private final ChaCha20 chacha;
    private final Poly1305 poly = new Poly1305();
    private final byte[] block0 = new byte[64];
    private final byte[] tag = new byte[Poly1305.TAG_BYTES];
    private long adLen;
    private long textLen;

    /**
     * Creates the AEAD for one key.
     *
     * @param key32 the 32-byte key
     */
    ChaChaPolyAead(byte[] key32) {
        this.chacha = new ChaCha20(key32);
    }

    /**
     * Starts a message: the Poly1305 key is the first half of ChaCha20 block 0; the text uses blocks 1 on.
     *
     * @param nonce12 the 12-byte nonce (never repeated for one key: the caller's counter sees to it)
     * @param ad      associated data (may be empty)
     */
    void begin(byte[] nonce12, byte[] ad) {
        chacha.reset(nonce12, 0);
        chacha.xor(ZEROS, 0, 64, block0, 0);
        poly.init(block0, 0);
        poly.update(ad, 0, ad.length);
        poly.padToBlock();
        adLen = ad.length;
        textLen = 0;
    }

    /**
     * Encrypts a part of the plaintext (may be in place).
     *
     * @param in     plaintext array
     * @param off    where it starts
     * @param len    how many bytes
     * @param out    ciphertext array
     * @param outOff where the ciphertext goes
     */
    void encrypt(byte[] in, int off, int len, byte[] out, int outOff) {
        chacha.xor(in, off, len, out, outOff);
        poly.update(out, outOff, len);
        textLen += len;
    }

    /**
     * Decrypts a part of the ciphertext (without its tag; may be in place).
     *
     * @param in     ciphertext array
     * @param off    where it starts
     * @param len    how many bytes
     * @param out    plaintext array
     * @param outOff where the plaintext goes
     */
    void decrypt(byte[] in, int off, int len, byte[] out, int outOff) {
        poly.update(in, off, len);
        chacha.xor(in, off, len, out, outOff);
        textLen += len;
    }

    private void computeTag() {
        poly.padToBlock();
        poly.updateBlock(adLen, textLen);
        poly.finish(tag, 0);
    }

    /**
     * Ends an encrypted message: writes its 16-byte tag.
     *
     * @param out where the tag goes
     * @param off offset
     */
    void sealTag(byte[] out, int off) {
        computeTag();
        System.arraycopy(tag, 0, out, off, Poly1305.TAG_BYTES);
    }

    /**
     * Ends a decrypted message: checks its tag in constant time.
     *
     * @param received the array holding the received tag
     * @param off      its offset
     * @throws AEADBadTagException when it does not match
     */
    void verifyTag(byte[] received, int off) throws AEADBadTagException {
        computeTag();
        byte[] got = java.util.Arrays.copyOfRange(received, off, off + Poly1305.TAG_BYTES);
        if (!MessageDigest.isEqual(tag, got)) {
            throw new AEADBadTagException("Poly1305 tag mismatch");
        }
    }
}
