package dev.starling.peer.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.PrivateKey;
import dev.starling.peer.cli.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFileTest {
    @Test
    void shouldWriteAnOwnerOnlyKeyAndReadTheSameIdentityBack(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("peer.key");
        PrivateKey key = KeyFile.create(file, false);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(key.publicKey().toPeerId(), KeyFile.load(file).publicKey().toPeerId());
        assertEquals(key.publicKey().toPeerId(), KeyFile.loadOrCreate(file).publicKey().toPeerId());
    }

    @Test
    void shouldRefuseToReplaceAKeyWithoutForce(@TempDir Path dir) {
        Path file = dir.resolve("peer.key");
        KeyFile.create(file, false);
        assertTrue(assertThrows(UserError.class, () -> KeyFile.create(file, false)).getMessage().contains("--force"));
        KeyFile.create(file, true);
    }

    @Test
    void shouldExplainMissingAndGarbageKeyFiles(@TempDir Path dir) throws IOException {
        assertTrue(assertThrows(UserError.class, () -> KeyFile.load(dir.resolve("none")))
                .getMessage().contains("starling keygen"));
        Path garbage = dir.resolve("garbage.key");
        Files.writeString(garbage, "not a key");
        assertTrue(assertThrows(UserError.class, () -> KeyFile.load(garbage)).getMessage()
                .contains("not a libp2p private key"));
    }
}
