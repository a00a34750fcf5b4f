package dev.starling.protocol.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The {@code [admission] max_peers_per_host} Sybil cap in the manifest. */
class HostCapManifestTest {
    private static final String BASE = "[run]\nname = \"cap\"\n[admission]\npolicy = \"open\"\n";

    @Test
    void shouldLeaveAnUnsetCapOutOfTheCanonicalBytesSoRunIdsDoNotChange() {
        RunManifest plain = ManifestParser.parse(BASE);
        assertEquals(0, plain.admission().maxPeersPerHost());
        String canonical = new String(ManifestCodec.canonicalBytes(plain), StandardCharsets.UTF_8);
        assertFalse(canonical.contains("maxPeersPerHost"), canonical);
        assertEquals(ManifestCodec.runId(plain), ManifestCodec.runId(ManifestParser.parse(BASE
            + "max_peers_per_host = 0\n")));
    }

    @Test
    void shouldMakeASetCapPartOfTheRunAndRejectANegativeOne() {
        RunManifest capped = ManifestParser.parse(BASE + "max_peers_per_host = 3\n");
        assertEquals(3, capped.admission().maxPeersPerHost());
        assertNotEquals(ManifestCodec.runId(ManifestParser.parse(BASE)), ManifestCodec.runId(capped));
        ManifestException e = assertThrows(ManifestException.class,
            () -> ManifestParser.parse(BASE + "max_peers_per_host = -1\n"));
        assertTrue(e.getMessage().contains("max_peers_per_host"), e.getMessage());
    }
}
