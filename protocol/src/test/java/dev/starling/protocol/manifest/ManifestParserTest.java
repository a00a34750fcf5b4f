package dev.starling.protocol.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestParserTest {
    private static final String FULL = """
            [run]
            name = "shakespeare"
            seed = 7
            [model]
            layers = 4
            heads = 4
            channels = 128
            block_size = 64
            [data]
            tokenizer = "char"
            batch_size = 12
            [inner]
            steps = 250
            [outer]
            optimizer = "co2"
            staleness_penalty = 0.5
            momentum_clip = 10.0
            [codec]
            name = "int4"
            block_size = 32
            [aggregator]
            name = "centered-clip"
            tau = 0.5
            [group]
            min_size = 2
            max_size = 8
            """;

    private static String messageOf(String toml) {
        return assertThrows(ManifestException.class, () -> ManifestParser.parse(toml)).getMessage();
    }

    @Test
    void shouldFillDefaultsForAnEmptyManifest() {
        RunManifest m = ManifestParser.parse("");
        assertEquals(100, m.inner().steps());
        assertEquals(0.7, m.outer().lr());
        assertEquals(0.9, m.outer().momentum());
        assertEquals("nesterov", m.outer().optimizer());
        assertEquals("builtin:tinyshakespeare", m.data().source());
        assertEquals("open", m.admission().policy());
    }

    @Test
    void shouldReadEveryTable() {
        RunManifest m = ManifestParser.parse(FULL);
        assertEquals("shakespeare", m.name());
        assertEquals(7, m.seed());
        assertEquals(250, m.inner().steps());
        assertEquals("co2", m.outer().optimizer());
        assertEquals(0.5, m.outer().stalenessPenalty());
        assertEquals("int4", m.codec().name());
        assertEquals(32, m.codec().blockSize());
        assertEquals(8, m.group().maxSize());
    }

    @Test
    void shouldRejectAMisspeltKeyNamingIt() {
        String message = messageOf("[inner]\nstep = 10\n");
        assertTrue(message.contains("unknown key [inner] step"), message);
        assertEquals(1, message.lines().count());
    }

    @Test
    void shouldRejectAnUnknownTable() {
        assertTrue(messageOf("[modle]\nlayers = 2\n").contains("unknown table [modle]"));
    }

    @Test
    void shouldRejectOutOfRangeAndWrongTypes() {
        assertTrue(messageOf("[inner]\nsteps = 0\n").contains("[inner] steps must be between 1 and"));
        assertTrue(messageOf("[model]\nlayers = \"four\"\n").contains("[model] layers must be a whole number"));
        assertTrue(messageOf("[codec]\nname = \"zip\"\n").contains("must be one of fp32, fp16"));
        assertTrue(messageOf("[outer]\nlr = nan\n").contains("[outer] lr must be between"));
    }

    @Test
    void shouldRejectInconsistentCombinations() {
        assertTrue(messageOf("[model]\nchannels = 130\nheads = 4\n").contains("multiple of heads"));
        assertTrue(messageOf("[group]\nmin_size = 9\nmax_size = 8\n").contains("min_size (9)"));
        assertTrue(messageOf("[outer]\nmomentum_clip = 1.0\n").contains("only to optimizer = \"co2\""));
        assertTrue(messageOf("[admission]\npolicy = \"allowlist\"\n").contains("non-empty allowlist"));
    }

    @Test
    void shouldRejectMalformedToml() {
        String message = messageOf("[inner\nsteps = 3");
        assertTrue(message.startsWith("manifest is not valid TOML"), message);
        assertEquals(1, message.lines().count());
    }

    @Test
    void shouldKeepRunIdWhenOnlyFormattingChanges() {
        String reordered = "# a comment\n[group]\nmax_size = 8\nmin_size = 2\n" + FULL.replace(
                "[group]\nmin_size = 2\nmax_size = 8\n", "");
        assertEquals(ManifestCodec.runId(ManifestParser.parse(FULL)),
                ManifestCodec.runId(ManifestParser.parse(reordered)));
    }

    @Test
    void shouldChangeRunIdWhenAValueChanges() {
        String other = FULL.replace("steps = 250", "steps = 251");
        assertNotEquals(ManifestCodec.runId(ManifestParser.parse(FULL)), ManifestCodec.runId(ManifestParser.parse(other)));
        assertEquals(64, ManifestCodec.runId(ManifestParser.parse(FULL)).length());
    }

    @Test
    void shouldExplainMissingAndBinaryFiles(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.toml");
        assertTrue(assertThrows(ManifestException.class, () -> ManifestParser.load(missing))
                .getMessage().contains("does not exist"));
        Path binary = dir.resolve("bin.toml");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertTrue(assertThrows(ManifestException.class, () -> ManifestParser.load(binary))
                .getMessage().contains("not UTF-8"));
        Path big = dir.resolve("big.toml");
        Files.write(big, new byte[(int) ManifestParser.MAX_MANIFEST_BYTES + 1]);
        assertTrue(assertThrows(ManifestException.class, () -> ManifestParser.load(big))
                .getMessage().contains("the limit is"));
    }
}
