package dev.starling.peer.node;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.peer.cli.UserError;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A node's identity on disk: the libp2p private-key protobuf (the same bytes go-, rust- and
 * js-libp2p write), readable only by its owner. Written atomically, so a crash never leaves half a key.
 * Errors are {@link UserError}s naming the file.
 */
public final class KeyFile {
    /** Largest key file read. */
    public static final int MAX_KEY_FILE_BYTES = Keys.MAX_ENCODED_KEY;

    private KeyFile() {
    }

    /**
     * Reads a key file.
     *
     * @param path the file
     * @return the key
     * @throws UserError if the file is missing, too large or not a libp2p private key
     */
    public static PrivateKey load(Path path) {
        try {
            long size = Files.size(path);
            if (size > MAX_KEY_FILE_BYTES) {
                throw new UserError("key file " + path + " is " + size + " bytes, not a libp2p key;"
                        + " point --key at a file written by 'starling keygen'");
            }
            return Keys.unmarshalPrivateKey(Files.readAllBytes(path));
        } catch (NoSuchFileException e) {
            throw new UserError("key file " + path + " does not exist; create one with 'starling keygen --out "
                    + path + "'", e);
        } catch (P2pException e) {
            throw new UserError("key file " + path + " is not a libp2p private key (" + e.getMessage()
                    + "); create one with 'starling keygen'", e);
        } catch (IOException e) {
            throw new UserError("cannot read key file " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a new Ed25519 key.
     *
     * @param path      the file
     * @param overwrite whether an existing file may be replaced
     * @return the key written
     * @throws UserError if the file exists (and {@code overwrite} is false) or cannot be written
     */
    public static PrivateKey create(Path path, boolean overwrite) {
        if (!overwrite && Files.exists(path)) {
            throw new UserError("key file " + path + " already exists; pass --force to replace it (its peer id"
                    + " will change)");
        }
        PrivateKey key = Keys.generateEd25519();
        Path dir = path.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, ".starling-key", ".tmp");
            try {
                trySetOwnerOnly(tmp);
                Files.write(tmp, key.marshal());
                try {
                    Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return key;
        } catch (FileAlreadyExistsException e) {
            throw new UserError("key file " + path + " already exists; pass --force to replace it", e);
        } catch (IOException e) {
            throw new UserError("cannot write key file " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the key at {@code path}, creating it first if the file does not exist.
     *
     * @param path the file
     * @return the key
     */
    public static PrivateKey loadOrCreate(Path path) {
        return Files.exists(path) ? load(path) : create(path, false);
    }

    private static void trySetOwnerOnly(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // not a POSIX file system: the platform's default permissions apply
        }
    }
}
