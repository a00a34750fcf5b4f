package dev.starling.protocol.manifest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SignedManifestTest {
    @Test
    void shouldRoundTrip() {
        SignedManifest m = new SignedManifest("[inner]\nsteps = 5\n", new byte[] {1, 2, 3});
        SignedManifest back = SignedManifest.decode(m.encode());
        assertEquals(m.toml(), back.toml());
        assertArrayEquals(m.signature(), back.signature());
    }

    @Test
    void shouldRejectLengthsThatLie() {
        byte[] bytes = new SignedManifest("x = 1", new byte[64]).encode();
        ByteBuffer.wrap(bytes).putInt(0, Integer.MAX_VALUE);
        assertThrows(ManifestException.class, () -> SignedManifest.decode(bytes));
        byte[] truncated = java.util.Arrays.copyOf(new SignedManifest("x = 1", new byte[64]).encode(), 20);
        assertThrows(ManifestException.class, () -> SignedManifest.decode(truncated));
        assertThrows(ManifestException.class, () -> SignedManifest.decode(new byte[SignedManifest.MAX_ENCODED_BYTES
                + 1]));
    }

    @Test
    void shouldOnlyThrowManifestExceptionOnMutatedInput() {
        byte[] valid = new SignedManifest("[model]\nlayers = 2\n", new byte[64]).encode();
        Random random = new Random(7);
        for (int i = 0; i < 5000; i++) {
            byte[] mutated = valid.clone();
            mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
            try {
                SignedManifest.decode(mutated);
            } catch (ManifestException expected) {
                // the only failure a remote node can cause
            }
        }
    }

    @Test
    void shouldPrefixTheSigningPayloadWithADomain() {
        assertEquals("starling-manifest:a = 1", new String(SignedManifest.signingPayload("a = 1"),
                java.nio.charset.StandardCharsets.UTF_8));
    }
}
