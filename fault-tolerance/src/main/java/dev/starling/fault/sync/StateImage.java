package dev.starling.fault.sync;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A run's shared state at the end of a round, as the bytes a joiner downloads: the round number, the inner-step count
 * (the learning-rate schedule and data-shard position every peer is at), and named sections of raw bytes laid end to
 * end (θ_global first, then the outer optimizer's buffers). Floats are stored as their raw IEEE-754 bits,
 * little-endian, so the first section's SHA-256 equals the θ hash peers gossip. Immutable once built.
 *
 * @param round      the round the state is the result of
 * @param innerSteps inner steps every peer has taken by then
 * @param sections   the sections, in order; the first is θ_global
 */
public record StateImage(long round, long innerSteps, List<Section> sections) {
    /**
     * One named buffer.
     *
     * @param name  its name (at most {@link StateManifest#MAX_NAME_BYTES} UTF-8 bytes)
     * @param bytes its bytes (owned by the image)
     */
    public record Section(String name, byte[] bytes) {
        /**
         * A section holding floats.
         *
         * @param name   its name
         * @param values the floats (copied)
         * @return the section
         */
        public static Section ofFloats(String name, float[] values) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Section(name, b.array());
        }

        /**
         * The section's bytes read as floats.
         *
         * @return a new array
         */
        public float[] floats() {
            if (bytes.length % 4 != 0) {
                throw SyncException.badPeer("section " + name + " holds " + bytes.length + " bytes, not floats");
            }
            float[] out = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
    }

    /** Copies the list. */
    public StateImage {
        sections = List.copyOf(sections);
        if (sections.isEmpty()) {
            throw new IllegalArgumentException("a state image needs at least the θ section");
        }
    }

    /**
     * A section by name.
     *
     * @param name its name
     * @return the section
     * @throws SyncException if it is missing
     */
    public Section section(String name) {
        for (Section s : sections) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new SyncException(SyncException.Category.BAD_PEER, "the state has no section " + name);
    }

    /**
     * All sections laid end to end.
     *
     * @return a new array
     */
    public byte[] concatenated() {
        long total = 0;
        for (Section s : sections) {
            total += s.bytes().length;
        }
        if (total > StateManifest.MAX_STATE_BYTES) {
            throw new SyncException(SyncException.Category.INTERNAL, "state of " + total + " bytes exceeds "
                    + StateManifest.MAX_STATE_BYTES);
        }
        byte[] out = new byte[(int) total];
        int at = 0;
        for (Section s : sections) {
            System.arraycopy(s.bytes(), 0, out, at, s.bytes().length);
            at += s.bytes().length;
        }
        return out;
    }

    /**
     * Splits concatenated bytes back into sections as a manifest describes them.
     *
     * @param manifest the manifest
     * @param bytes    the concatenated bytes (length checked)
     * @return the image
     */
    public static StateImage split(StateManifest manifest, byte[] bytes) {
        if (bytes.length != manifest.totalBytes()) {
            throw new SyncException(SyncException.Category.INTERNAL, "assembled " + bytes.length + " bytes, the"
                    + " manifest says " + manifest.totalBytes());
        }
        List<Section> out = new ArrayList<>();
        int at = 0;
        for (StateManifest.SectionInfo info : manifest.sections()) {
            byte[] part = new byte[(int) info.bytes()];
            System.arraycopy(bytes, at, part, 0, part.length);
            at += part.length;
            out.add(new Section(info.name(), part));
        }
        return new StateImage(manifest.round(), manifest.innerSteps(), out);
    }

    /**
     * SHA-256 of the first section (θ_global), as gossiped after every round.
     *
     * @return 64 lowercase hex digits
     */
    public String thetaHash() {
        return HexFormat.of().formatHex(sha256(sections.getFirst().bytes(), 0, sections.getFirst().bytes().length));
    }

    static byte[] sha256(byte[] bytes, int offset, int length) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(bytes, offset, length);
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
