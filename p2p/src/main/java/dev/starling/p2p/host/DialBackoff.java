package dev.starling.p2p.host;

import dev.starling.p2p.core.PeerId;
import java.util.HashMap;
import java.util.Map;

/**
 * Exponential dial back-off per peer, free of I/O: time is passed in (STYLE rule 3). After the n-th failed
 * dial in a row a peer may not be dialed for {@code base * 2^(n-1)}, capped at {@code max}; a success
 * forgets the peer. Not thread-safe: the host calls it under its own lock.
 */
public final class DialBackoff {
    /** Most peers remembered; the oldest entry is dropped beyond this. */
    public static final int MAX_PEERS = 4096;
    private final long baseNanos;
    private final long maxNanos;
    private final Map<PeerId, long[]> state = new HashMap<>(); // peer -> {failures, notBeforeNanos}

    /**
     * Creates a back-off policy.
     *
     * @param baseNanos wait after the first failure, positive
     * @param maxNanos  longest wait, at least {@code baseNanos}
     */
    public DialBackoff(long baseNanos, long maxNanos) {
        if (baseNanos <= 0 || maxNanos < baseNanos) {
            throw new IllegalArgumentException("bad back-off: base " + baseNanos + " ns, max " + maxNanos + " ns");
        }
        this.baseNanos = baseNanos;
        this.maxNanos = maxNanos;
    }

    /**
     * Returns how long the caller must still wait before dialing {@code peer}.
     *
     * @param peer     the peer
     * @param nowNanos the current time
     * @return 0 if a dial is allowed now, else the remaining nanoseconds
     */
    public long waitNanos(PeerId peer, long nowNanos) {
        long[] s = state.get(peer);
        return s == null ? 0 : Math.max(0, s[1] - nowNanos);
    }

    /**
     * Records a failed dial.
     *
     * @param peer     the peer
     * @param nowNanos the current time
     */
    public void onFailure(PeerId peer, long nowNanos) {
        if (state.size() >= MAX_PEERS && !state.containsKey(peer)) state.remove(state.keySet().iterator().next());
        long[] s = state.computeIfAbsent(peer, p -> new long[2]);
        s[0]++;
        long wait = s[0] >= 62 ? maxNanos : Math.min(maxNanos, baseNanos << Math.min(s[0] - 1, 40));
        s[1] = nowNanos + Math.max(wait, baseNanos);
    }

    /**
     * Records a successful dial: the peer's back-off is forgotten.
     *
     * @param peer the peer
     */
    public void onSuccess(PeerId peer) {
        state.remove(peer);
    }
}
