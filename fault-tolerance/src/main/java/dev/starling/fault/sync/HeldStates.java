package dev.starling.fault.sync;

import java.util.Arrays;
import java.util.List;

/**
 * The honest {@link StateSource}: the states this peer published after its last two rounds (a joiner that fetched
 * round r's manifest can still finish while round r+1 ends). {@link #publish} is called by the training thread; the
 * stream threads read an immutable snapshot through a volatile reference.
 */
public final class HeldStates implements StateSource {
    private record Held(StateManifest manifest, byte[] encoded, byte[] bytes) {
    }

    private final int chunkBytes;
    private volatile List<Held> held = List.of();

    /**
     * Creates an empty holder.
     *
     * @param chunkBytes bytes per chunk of the states it will serve
     */
    public HeldStates(int chunkBytes) {
        if (chunkBytes < StateManifest.MIN_CHUNK_BYTES || chunkBytes > StateManifest.MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk size " + chunkBytes + " outside [" + StateManifest.MIN_CHUNK_BYTES
                    + ", " + StateManifest.MAX_CHUNK_BYTES + "]");
        }
        this.chunkBytes = chunkBytes;
    }

    /**
     * Serves a new state (copies it and hashes its chunks), dropping all but the previous one.
     *
     * @param image the state after a round
     * @return its manifest
     */
    public StateManifest publish(StateImage image) {
        byte[] bytes = image.concatenated();
        StateManifest manifest = StateManifest.describe(image, bytes, chunkBytes);
        List<Held> now = held;
        Held fresh = new Held(manifest, manifest.encode(), bytes);
        held = now.isEmpty() ? List.of(fresh) : List.of(fresh, now.getFirst());
        return manifest;
    }

    private Held find(long round) {
        for (Held h : held) {
            if (round == 0 || h.manifest().round() == round) {
                return h;
            }
        }
        return null;
    }

    @Override
    public byte[] manifest(long round) {
        Held h = find(round);
        return h == null ? null : h.encoded();
    }

    @Override
    public byte[] chunk(long round, int index) {
        Held h = find(round);
        if (h == null || index < 0 || index >= h.manifest().chunks()) {
            return null;
        }
        int from = index * h.manifest().chunkBytes();
        return Arrays.copyOfRange(h.bytes(), from, from + h.manifest().chunkLength(index));
    }

    /**
     * The newest state's manifest.
     *
     * @return it, or null before the first {@link #publish}
     */
    public StateManifest newest() {
        List<Held> now = held;
        return now.isEmpty() ? null : now.getFirst().manifest();
    }
}
