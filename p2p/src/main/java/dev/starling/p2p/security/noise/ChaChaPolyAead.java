package dev.starling.p2p.security.noise;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The ChaCha20-Poly1305 AEAD of RFC 8439 section 2.8, built from the JDK's ChaCha20 stream cipher (which has an AVX2
 * intrinsic) and our {@link Poly1305} (the JDK's Poly1305 only has one with AVX-512). Output is byte-identical to
 * the JDK's {@code ChaCha20-Poly1305} Cipher (tested on the RFC vectors and random inputs).
 *
 * <p>Streaming, heap arrays only: {@link #begin}, {@link #encrypt}/{@link #decrypt} parts in order, then
 * {@link #sealTag} (encrypting) or {@link #verifyTag} (decrypting; call before trusting the plaintext). Reusable for
 * any number of messages with fresh nonces. Not thread-safe.
 */
final class ChaChaPolyAead {
    private static final byte[] ZEROS = new byte[64];
    private final SecretKeySpec key;
    private final Cipher chacha;
    private final Poly1305 poly = new Poly1305();
    private final byte[] block0 = new byte[64];
    private final byte[] tag = new byte[Poly1305.TAG_BYTES];
    private long adLen;
    private long textLen;

    /**
     * Creates the AEAD for one key.
     *
     * @param key32 the 32-byte key
     * @throws GeneralSecurityException if the JDK has no ChaCha20
     */
    ChaChaPolyAead(byte[] key32) throws GeneralSecurityException {
        this.key = new SecretKeySpec(key32, "ChaCha20");
        this.chacha = Cipher.getInstance("ChaCha20");
    }

    /**
     * Starts a message: the Poly1305 key is the first half of ChaCha20 block 0; the text uses blocks 1 on.
     *
     * @param encrypting true to encrypt (the JDK then refuses a repeated nonce)
     * @param nonce12    the 12-byte nonce
     * @param ad         associated data (may be empty)
     * @throws GeneralSecurityException from the JDK cipher
     */
    void begin(boolean encrypting, byte[] nonce12, byte[] ad) throws GeneralSecurityException {
        chacha.init(encrypting ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, key, new ChaCha20ParameterSpec(nonce12, 0));
        chacha.update(ZEROS, 0, 64, block0, 0);
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
     * @throws GeneralSecurityException from the JDK cipher
     */
    void encrypt(byte[] in, int off, int len, byte[] out, int outOff) throws GeneralSecurityException {
        int n = chacha.update(in, off, len, out, outOff);
        if (n != len) {
            throw new GeneralSecurityException("ChaCha20 returned " + n + " of " + len + " bytes");
        }
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
     * @throws GeneralSecurityException from the JDK cipher
     */
    void decrypt(byte[] in, int off, int len, byte[] out, int outOff) throws GeneralSecurityException {
        poly.update(in, off, len);
        int n = chacha.update(in, off, len, out, outOff);
        if (n != len) {
            throw new GeneralSecurityException("ChaCha20 returned " + n + " of " + len + " bytes");
        }
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
