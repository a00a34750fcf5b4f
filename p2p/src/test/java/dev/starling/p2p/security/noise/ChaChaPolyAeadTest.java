package dev.starling.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** Our Poly1305 and ChaCha20-Poly1305 against RFC 8439's vectors and against the JDK's Cipher on random inputs. */
class ChaChaPolyAeadTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void shouldMatchRfc8439Poly1305Vector() {
        // RFC 8439 section 2.5.2
        byte[] key = HEX.parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] msg = "Cryptographic Forum Research Group".getBytes(StandardCharsets.US_ASCII);
        Poly1305 p = new Poly1305();
        p.init(key, 0);
        p.update(msg, 0, msg.length);
        byte[] tag = new byte[16];
        p.finish(tag, 0);
        assertArrayEquals(HEX.parseHex("a8061dc1305136c6c22b8baf0c0127a9"), tag);
    }

    @Test
    void shouldMatchRfc8439AeadVector() throws Exception {
        // RFC 8439 section 2.8.2
        byte[] key = HEX.parseHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        byte[] nonce = HEX.parseHex("070000004041424344454647");
        byte[] ad = HEX.parseHex("50515253c0c1c2c3c4c5c6c7");
        byte[] text = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future,"
                + " sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = seal(key, nonce, ad, text, new int[] {text.length});
        assertArrayEquals(HEX.parseHex("1ae10b594f09e26a7e902ecbd0600691"),
                Arrays.copyOfRange(sealed, text.length, sealed.length));
        assertArrayEquals(jdk(Cipher.ENCRYPT_MODE, key, nonce, ad, text), sealed);
        assertArrayEquals(text, open(key, nonce, ad, sealed));
    }

    @Test
    void shouldMatchTheJdkOnRandomInputsSplitAnywhere() throws Exception {
        SplittableRandom random = new SplittableRandom(8439);
        for (int i = 0; i < 300; i++) {
            byte[] key = bytes(random, 32);
            byte[] nonce = bytes(random, 12);
            byte[] ad = bytes(random, random.nextInt(40));
            int len = i < 100 ? i : random.nextInt(70_000);
            byte[] text = bytes(random, len);
            int cut = len == 0 ? 0 : random.nextInt(len + 1);
            byte[] sealed = seal(key, nonce, ad, text, new int[] {cut, len - cut});
            assertArrayEquals(jdk(Cipher.ENCRYPT_MODE, key, nonce, ad, text), sealed, "length " + len);
            assertArrayEquals(text, open(key, nonce, ad, sealed), "length " + len);
            if (len > 0) {
                sealed[random.nextInt(sealed.length)] ^= (byte) (1 << random.nextInt(8));
                assertThrows(AEADBadTagException.class, () -> open(key, nonce, ad, sealed));
            }
        }
    }

    @Test
    void shouldMatchPoly1305OnAllOnesLimbs() throws Exception {
        // r and s at their largest clamped values and a message of 0xff bytes: exercises every carry
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 0xff);
        byte[] text = new byte[4096];
        Arrays.fill(text, (byte) 0xff);
        byte[] nonce = new byte[12];
        assertArrayEquals(jdk(Cipher.ENCRYPT_MODE, key, nonce, text, text), seal(key, nonce, text, text,
                new int[] {text.length}));
    }

    @Test
    void shouldMatchABigIntegerPoly1305OnLongAndSplitInputs() {
        // the four-lane path (inputs of 512 bytes and more), entered with and without a partly filled block
        SplittableRandom random = new SplittableRandom(1305);
        BigInteger p = BigInteger.ONE.shiftLeft(130).subtract(BigInteger.valueOf(5));
        for (int i = 0; i < 60; i++) {
            byte[] key = bytes(random, 32);
            if (i % 10 == 0) Arrays.fill(key, (byte) 0xff); // the largest clamped r
            byte[] msg = bytes(random, 500 + random.nextInt(5000));
            if (i % 10 == 1) Arrays.fill(msg, (byte) 0xff); // the largest limbs in every lane
            BigInteger r = le(Arrays.copyOfRange(key, 0, 16))
                    .and(new BigInteger("0ffffffc0ffffffc0ffffffc0fffffff", 16));
            BigInteger acc = BigInteger.ZERO;
            for (int at = 0; at < msg.length; at += 16) {
                byte[] block = Arrays.copyOfRange(msg, at, Math.min(msg.length, at + 16));
                acc = acc.add(le(block)).add(BigInteger.ONE.shiftLeft(8 * block.length)).multiply(r).mod(p);
            }
            BigInteger tag = acc.add(le(Arrays.copyOfRange(key, 16, 32))).mod(BigInteger.ONE.shiftLeft(128));
            Poly1305 poly = new Poly1305();
            poly.init(key, 0);
            int cut = random.nextInt(40);
            poly.update(msg, 0, cut);
            poly.update(msg, cut, msg.length - cut);
            byte[] got = new byte[16];
            poly.finish(got, 0);
            assertEquals(tag, le(got), "message length " + msg.length + ", cut " + cut);
        }
    }

    private static BigInteger le(byte[] b) {
        byte[] be = new byte[b.length + 1];
        for (int i = 0; i < b.length; i++) be[b.length - i] = b[i];
        return new BigInteger(be);
    }

    @Test
    void shouldEncryptAndDecryptInPlace() throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        byte[] key = bytes(random, 32);
        byte[] nonce = bytes(random, 12);
        byte[] text = bytes(random, 65_519);
        byte[] buf = Arrays.copyOf(text, text.length + 16);
        ChaChaPolyAead aead = new ChaChaPolyAead(key);
        aead.begin(nonce, new byte[0]);
        aead.encrypt(buf, 0, 100, buf, 0);
        aead.encrypt(buf, 100, text.length - 100, buf, 100);
        aead.sealTag(buf, text.length);
        assertArrayEquals(jdk(Cipher.ENCRYPT_MODE, key, nonce, new byte[0], text), buf);
        aead.begin(nonce, new byte[0]);
        aead.decrypt(buf, 0, text.length, buf, 0);
        aead.verifyTag(buf, text.length);
        assertArrayEquals(text, Arrays.copyOf(buf, text.length));
    }

    private static byte[] bytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static byte[] seal(byte[] key, byte[] nonce, byte[] ad, byte[] text, int[] parts) throws Exception {
        ChaChaPolyAead aead = new ChaChaPolyAead(key);
        byte[] out = new byte[text.length + 16];
        aead.begin(nonce, ad);
        int at = 0;
        for (int p : parts) {
            aead.encrypt(text, at, p, out, at);
            at += p;
        }
        aead.sealTag(out, text.length);
        return out;
    }

    private static byte[] open(byte[] key, byte[] nonce, byte[] ad, byte[] sealed) throws Exception {
        ChaChaPolyAead aead = new ChaChaPolyAead(key);
        int len = sealed.length - 16;
        byte[] out = new byte[len];
        aead.begin(nonce, ad);
        aead.decrypt(sealed, 0, len, out, 0);
        aead.verifyTag(sealed, len);
        return out;
    }

    private static byte[] jdk(int mode, byte[] key, byte[] nonce, byte[] ad, byte[] in) throws Exception {
        Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
        c.init(mode, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce));
        c.updateAAD(ad);
        return c.doFinal(in);
    }
}
