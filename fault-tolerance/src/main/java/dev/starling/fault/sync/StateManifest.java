package dev.starling.fault.sync;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * What a source says about the state it serves: round, inner steps, the sections' names and sizes, the chunk size,
 * one SHA-256 per chunk of the concatenated sections, and the θ hash. A joiner takes the manifest that most sources
 * serve byte for byte and whose θ hash is the one the last round's group published; every chunk is then checked
 * against it, so a source cannot lie about sizes or contents without being caught at once.
 *
 * <p>Wire form (big-endian): {@code u64 round | u64 innerSteps | u32 chunkBytes | u8 nSections |
 * nSections × (u16 len | UTF-8 name | u64 bytes) | 32-byte θ hash | u32 nChunks | nChunks × 32-byte SHA-256}.
 * Every count and size is checked against the caps below before anything is allocated.
 *
 * @param round       the round the state is the result of
 * @param innerSteps  inner steps taken by then
 * @param chunkBytes  bytes per chunk (the last may be shorter)
 * @param sections    the sections' names and sizes, in order
 * @param thetaHash   SHA-256 of the first section, 32 bytes
 * @param chunkHashes SHA-256 of each chunk, 32 bytes each
 */
public record StateManifest(long round, long innerSteps, int chunkBytes, List<SectionInfo> sections,
                            byte[] thetaHash, List<byte[]> chunkHashes) {
    /** Largest state served or accepted (about 130M parameters with their outer momentum). */
    public static final long MAX_STATE_BYTES = 1L << 30;
    /** Smallest chunk. */
    public static final int MIN_CHUNK_BYTES = 1024;
    /** Largest chunk. */
    public static final int MAX_CHUNK_BYTES = 8 << 20;
    /** Default chunk: large enough to amortise a request, small enough to spread over sources. */
    public static final int DEFAULT_CHUNK_BYTES = 1 << 20;
    /** Most sections. */
    public static final int MAX_SECTIONS = 16;
    /** Longest section name. */
    public static final int MAX_NAME_BYTES = 64;
    /** Most chunks. */
    public static final int MAX_CHUNKS = 1 << 16;
    /** Largest encoded manifest. */
    public static final int MAX_ENCODED_BYTES = 32 + MAX_SECTIONS * (MAX_NAME_BYTES + 10) + 4 + MAX_CHUNKS * 32 + 64;
    private static final int HASH_BYTES = 32;

    /**
     * One section's name and size.
     *
     * @param name  the name
     * @param bytes its size
     */
    public record SectionInfo(String name, long bytes) {
    }

    /** Copies the arrays. */
    public StateManifest {
        sections = List.copyOf(sections);
        thetaHash = thetaHash.clone();
        chunkHashes = chunkHashes.stream().map(byte[]::clone).toList();
    }

    /**
     * Describes an image, hashing every chunk.
     *
     * @param image        the image
     * @param concatenated its sections end to end ({@link StateImage#concatenated()})
     * @param chunkBytes   bytes per chunk
     * @return the manifest
     */
    public static StateManifest describe(StateImage image, byte[] concatenated, int chunkBytes) {
        int chunk = Math.max(chunkBytes, (int) Math.min(MAX_CHUNK_BYTES,
                (concatenated.length + (long) MAX_CHUNKS - 1) / MAX_CHUNKS));
        List<SectionInfo> infos = image.sections().stream()
                .map(s -> new SectionInfo(s.name(), s.bytes().length)).toList();
        List<byte[]> hashes = new ArrayList<>();
        for (int at = 0; at < concatenated.length; at += chunk) {
            hashes.add(StateImage.sha256(concatenated, at, Math.min(chunk, concatenated.length - at)));
        }
        StateManifest m = new StateManifest(image.round(), image.innerSteps(), chunk, infos,
                HexFormat.of().parseHex(image.thetaHash()), hashes);
        m.check();
        return m;
    }

    /**
     * Bytes of all sections together.
     *
     * @return the total
     */
    public long totalBytes() {
        long total = 0;
        for (SectionInfo s : sections) {
            total += s.bytes();
        }
        return total;
    }

    /**
     * Number of chunks.
     *
     * @return the count
     */
    public int chunks() {
        return chunkHashes.size();
    }

    /**
     * Length of one chunk.
     *
     * @param index the chunk
     * @return its length in bytes
     */
    public int chunkLength(int index) {
        long start = (long) index * chunkBytes;
        return (int) Math.min(chunkBytes, totalBytes() - start);
    }

    /**
     * The θ hash as hex.
     *
     * @return 64 lowercase hex digits
     */
    public String thetaHashHex() {
        return HexFormat.of().formatHex(thetaHash);
    }

    private void check() {
        if (chunkBytes < MIN_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
            throw SyncException.badPeer("chunk size " + chunkBytes + " outside [" + MIN_CHUNK_BYTES + ", "
                    + MAX_CHUNK_BYTES + "]");
        }
        if (sections.isEmpty() || sections.size() > MAX_SECTIONS) {
            throw SyncException.badPeer(sections.size() + " sections, need 1 to " + MAX_SECTIONS);
        }
        long total = 0;
        for (SectionInfo s : sections) {
            if (s.bytes() < 0 || s.bytes() > MAX_STATE_BYTES) {
                throw SyncException.badPeer("section " + s.name() + " of " + s.bytes() + " bytes");
            }
            total += s.bytes();
        }
        if (total == 0 || total > MAX_STATE_BYTES) {
            throw SyncException.badPeer("state of " + total + " bytes, need 1 to " + MAX_STATE_BYTES);
        }
        long expected = (total + chunkBytes - 1) / chunkBytes;
        if (chunkHashes.size() != expected) {
            throw SyncException.badPeer(chunkHashes.size() + " chunk hashes for " + total + " bytes in chunks of "
                    + chunkBytes + " (need " + expected + ")");
        }
        if (round < 0 || innerSteps < 0) {
            throw SyncException.badPeer("negative round " + round + " or inner steps " + innerSteps);
        }
    }

    /**
     * Encodes the manifest.
     *
     * @return the wire bytes
     */
    public byte[] encode() {
        int size = 8 + 8 + 4 + 1 + HASH_BYTES + 4 + chunkHashes.size() * HASH_BYTES;
        for (SectionInfo s : sections) {
            size += 2 + s.name().getBytes(StandardCharsets.UTF_8).length + 8;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putLong(round).putLong(innerSteps).putInt(chunkBytes).put((byte) sections.size());
        for (SectionInfo s : sections) {
            byte[] name = s.name().getBytes(StandardCharsets.UTF_8);
            b.putShort((short) name.length).put(name).putLong(s.bytes());
        }
        b.put(thetaHash).putInt(chunkHashes.size());
        chunkHashes.forEach(b::put);
        return b.array();
    }

    /**
     * Decodes and checks a manifest from a source.
     *
     * @param bytes the wire bytes
     * @return the manifest
     * @throws SyncException (BAD_PEER) if it is malformed or breaks a cap
     */
    public static StateManifest decode(byte[] bytes) {
        if (bytes.length > MAX_ENCODED_BYTES) {
            throw SyncException.badPeer("manifest of " + bytes.length + " bytes exceeds " + MAX_ENCODED_BYTES);
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            long round = b.getLong();
            long innerSteps = b.getLong();
            int chunkBytes = b.getInt();
            int n = Byte.toUnsignedInt(b.get());
            if (n == 0 || n > MAX_SECTIONS) {
                throw SyncException.badPeer(n + " sections, need 1 to " + MAX_SECTIONS);
            }
            List<SectionInfo> sections = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int len = Short.toUnsignedInt(b.getShort());
                if (len > MAX_NAME_BYTES) {
                    throw SyncException.badPeer("section name of " + len + " bytes exceeds " + MAX_NAME_BYTES);
                }
                byte[] name = new byte[len];
                b.get(name);
                sections.add(new SectionInfo(new String(name, StandardCharsets.UTF_8), b.getLong()));
            }
            byte[] theta = new byte[HASH_BYTES];
            b.get(theta);
            int chunks = b.getInt();
            if (chunks < 1 || chunks > MAX_CHUNKS || b.remaining() != (long) chunks * HASH_BYTES) {
                throw SyncException.badPeer(chunks + " chunk hashes with " + b.remaining() + " bytes left");
            }
            List<byte[]> hashes = new ArrayList<>(chunks);
            for (int i = 0; i < chunks; i++) {
                byte[] h = new byte[HASH_BYTES];
                b.get(h);
                hashes.add(h);
            }
            StateManifest m = new StateManifest(round, innerSteps, chunkBytes, sections, theta, hashes);
            m.check();
            return m;
        } catch (BufferUnderflowException e) {
            throw SyncException.badPeer("manifest truncated at " + bytes.length + " bytes");
        }
    }

    /**
     * Whether a chunk's bytes are the ones this manifest describes.
     *
     * @param index  the chunk
     * @param data   the bytes
     * @param offset where they start in {@code data}
     * @param length how many
     * @return true if the length and the SHA-256 match
     */
    public boolean matches(int index, byte[] data, int offset, int length) {
        return index >= 0 && index < chunks() && length == chunkLength(index)
                && Arrays.equals(chunkHashes.get(index), StateImage.sha256(data, offset, length));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StateManifest m && Arrays.equals(encode(), m.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "StateManifest[round " + round + ", " + innerSteps + " inner steps, " + totalBytes() + " bytes in "
                + chunks() + " chunks, θ " + thetaHashHex().substring(0, 12) + "]";
    }
}
