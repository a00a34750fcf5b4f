package dev.starling.coordinator.admission;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The Sybil cap of a run's admission policy: at most {@code maxPerHost} peer ids from one host (IP address). Slots
 * go first come, first served; an id keeps its slot while it is still seen on that host, and a slot whose holder is
 * gone (disconnected, or now seen elsewhere) is freed when a new id on the full host asks. I/O-free: the caller says
 * which host an id comes from. Owner: one thread (the admission gate's).
 */
public final class HostQuota {
    /** Most hosts remembered; ids from further hosts are refused rather than grow the table. */
    public static final int MAX_HOSTS = 100_000;

    private final int maxPerHost;
    private final Map<String, Set<String>> holders = new HashMap<>();

    /**
     * Creates the quota.
     *
     * @param maxPerHost most ids per host, 0 for no cap
     * @throws IllegalArgumentException for a negative cap
     */
    public HostQuota(int maxPerHost) {
        if (maxPerHost < 0) {
            throw new IllegalArgumentException("max peers per host must be >= 0, got " + maxPerHost);
        }
        this.maxPerHost = maxPerHost;
    }

    /**
     * Whether there is a cap at all.
     *
     * @return true when {@code maxPerHost > 0}
     */
    public boolean capped() {
        return maxPerHost > 0;
    }

    /**
     * Asks for a slot for {@code peerId} on {@code host}.
     *
     * @param host        the host the id connects from
     * @param peerId      the id
     * @param stillOnHost whether an id holding a slot on this host is still seen there
     * @return true if the id holds a slot (now or already), false if the host's slots are all taken
     */
    public boolean admit(String host, String peerId, Predicate<String> stillOnHost) {
        if (maxPerHost == 0) {
            return true;
        }
        Set<String> ids = holders.get(host);
        if (ids == null) {
            if (holders.size() >= MAX_HOSTS) {
                return false;
            }
            ids = new LinkedHashSet<>();
            holders.put(host, ids);
        }
        if (ids.contains(peerId)) {
            return true;
        }
        if (ids.size() >= maxPerHost) {
            ids.removeIf(holder -> !stillOnHost.test(holder));
        }
        if (ids.size() >= maxPerHost) {
            return false;
        }
        ids.add(peerId);
        return true;
    }

    /**
     * The cap.
     *
     * @return most ids per host, 0 for none
     */
    public int maxPerHost() {
        return maxPerHost;
    }
}
