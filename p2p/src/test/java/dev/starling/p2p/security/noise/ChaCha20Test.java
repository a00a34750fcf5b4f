package dev.starling.p2p.security.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import javax.crypto.Cipher;
import javax.crypto.spec.ChaCha20ParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The Vector API ChaCha20 against RFC 8439's vectors, its scalar reference and the JDK's ChaCha20. */
class ChaCha20Test {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] RFC_KEY = HEX.parseHex(
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    @Test
    void shouldMatchRfc8439BlockVector() {
        // RFC 8439 section 2.3.2: counter 1, serialized block
        byte[] nonce = HEX.parseHex("000000090000004a00000000");
        byte[] expected = HEX.parseHex("10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
                + "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
        byte[] scalar = new byte[64];
        ChaCha20.blockScalar(RFC_KEY, nonce, 1, scalar);
        assertArrayEquals(expected, scalar);
        byte[] vector = new byte[64];
        ChaCha20 c = new ChaCha20(RFC_KEY);
        c.reset(nonce, 1);
        c.xor(new byte[64], 0, 64, vector, 0);
        assertArrayEquals(expected, vector);
    }

    @Test
    void shouldMatchRfc8439EncryptionVector() throws Exception {
        // RFC 8439 section 2.4.2: counter 1
        byte[] nonce = HEX.parseHex("000000000000004a00000000");
        byte[] text = ("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future,"
                + " sunscreen would be it.").getBytes(StandardCharsets.US_ASCII);
        byte[] expected = HEX.parseHex("6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
                + "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
                + "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
                + "5af90bbf74a35be6b40b8eedf2785e42874d");
        byte[] out = new byte[text.length];
        ChaCha20 c = new ChaCha20(RFC_KEY);
        c.reset(nonce, 1);
        c.xor(text, 0, text.length, out, 0);
        assertArrayEquals(expected, out);
        assertArrayEquals(expected, jdk(RFC_KEY, nonce, 1, text));
    }

    @Test
    void shouldMatchTheScalarReferenceAcrossLanesAndCounterWrap() {
        SplittableRandom random = new SplittableRandom(20);
        byte[] key = bytes(random, 32);
        byte[] nonce = bytes(random, 12);
        int blocks = 3 * ChaCha20.LANES + 5;
        for (int start : new int[] {0, 1, 7, -ChaCha20.LANES - 2}) { // the last one wraps the 32-bit counter
            byte[] expected = new byte[64 * blocks];
            byte[] block = new byte[64];
            for (int b = 0; b < blocks; b++) {
                ChaCha20.blockScalar(key, nonce, start + b, block);
                System.arraycopy(block, 0, expected, 64 * b, 64);
            }
            byte[] got = new byte[expected.length];
            ChaCha20 c = new ChaCha20(key);
            c.reset(nonce, start);
            c.xor(got, 0, got.length, got, 0);
            assertArrayEquals(expected, got, "start counter " + start);
        }
    }

    @Test
    void shouldMatchTheJdkOnRandomInputsSplitAnywhere() throws Exception {
        SplittableRandom random = new SplittableRandom(8439);
        ChaCha20 c = new ChaCha20(bytes(random, 32));
        for (int i = 0; i < 300; i++) {
            byte[] key = bytes(random, 32);
            byte[] nonce = bytes(random, 12);
            int counter = random.nextInt(1 << 20);
            int len = i < 100 ? i * 7 : random.nextInt(70_000);
            byte[] text = bytes(random, len);
            ChaCha20 cipher = i % 2 == 0 ? new ChaCha20(key) : null;
            if (cipher == null) {
                c = new ChaCha20(key); // also reuse one instance across nonces below
                cipher = c;
            }
            cipher.reset(nonce, counter);
            byte[] out = Arrays.copyOf(text, len);
            int at = 0;
            while (at < len) { // random parts, in place
                int part = Math.min(len - at, random.nextInt(1 + random.nextInt(2000)));
                cipher.xor(out, at, part, out, at);
                at += part;
            }
            assertArrayEquals(jdk(key, nonce, counter, text), out, "length " + len);
            cipher.reset(nonce, counter);
            cipher.xor(out, 0, len, out, 0);
            assertArrayEquals(text, out, "round trip, length " + len);
        }
    }

    private static byte[] jdk(byte[] key, byte[] nonce, int counter, byte[] in) throws Exception {
        Cipher c = Cipher.getInstance("ChaCha20");
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "ChaCha20"), new ChaCha20ParameterSpec(nonce, counter));
        return c.doFinal(in);
    }

    private static byte[] bytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
