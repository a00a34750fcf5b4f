package dev.starling.p2p.pubsub;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Message ids seen within the last TTL, so that duplicates are neither delivered nor forwarded twice. Entries expire
 * in insertion order when {@link #expire(long)} runs (once per heartbeat); time is passed in.
 *
 * <p>Owner thread only; not thread-safe.
 */
final class SeenCache {
    private record Stamp(MessageId id, long expiresAtNanos) {
    }

    private final long ttlNanos;
    private final Map<MessageId, Long> expiry = new HashMap<>();
    private final ArrayDeque<Stamp> order = new ArrayDeque<>();

    SeenCache(long ttlNanos) {
        this.ttlNanos = ttlNanos;
    }

    /** Adds the id; returns false when it was already present (a duplicate). */
    boolean add(MessageId id, long nowNanos) {
        if (expiry.containsKey(id)) {
            return false;
        }
        long at = nowNanos + ttlNanos;
        expiry.put(id, at);
        order.addLast(new Stamp(id, at));
        return true;
    }

    boolean contains(MessageId id) {
        return expiry.containsKey(id);
    }

    void expire(long nowNanos) {
        while (!order.isEmpty() && order.peekFirst().expiresAtNanos - nowNanos <= 0) {
            Stamp s = order.removeFirst();
            expiry.remove(s.id, s.expiresAtNanos);
        }
    }

    int size() {
        return expiry.size();
    }
}
