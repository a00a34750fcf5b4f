package dev.starling.fault.sync;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which state the run is at, from the peers' beacons: the newest beacon of each live peer, the hash a majority of
 * the peers reporting a round hold for it (the state hash the round's group published), and who can serve it.
 * I/O-free; not thread-safe: one owner thread.
 */
public final class PublishedStates {
    /**
     * A round's state as the majority of its reporters published it.
     *
     * @param round      the round
     * @param innerSteps inner steps taken by then
     * @param thetaHash  the majority's θ hash
     * @param holders    peers reporting that hash (download sources), in id order
     * @param reporters  peers reporting the round at all
     */
    public record Agreed(long round, long innerSteps, String thetaHash, List<String> holders, int reporters) {
        /** Copies the list. */
        public Agreed {
            holders = List.copyOf(holders);
        }
    }

    private final Map<String, StateBeacon> latest = new HashMap<>();

    /**
     * Records a peer's beacon (replacing its older one; a beacon for an older round than the last is ignored).
     *
     * @param peer   its author
     * @param beacon the beacon
     */
    public void onBeacon(String peer, StateBeacon beacon) {
        StateBeacon old = latest.get(peer);
        if (beacon.status() == StateBeacon.Status.LEAVING) {
            latest.remove(peer);
        } else if (old == null || beacon.round() >= old.round()) {
            latest.put(peer, beacon);
        }
    }

    /**
     * Forgets a peer (dead, left or banned).
     *
     * @param peer its id
     */
    public void forget(String peer) {
        latest.remove(peer);
    }

    /**
     * Keeps only the given peers (for example the live ones of a membership view).
     *
     * @param live the peers to keep
     */
    public void retain(Set<String> live) {
        latest.keySet().retainAll(live);
    }

    /**
     * The newest round on which strictly more than half of its reporters agree.
     *
     * @return the agreed state, or null when no round has a majority
     */
    public Agreed newest() {
        Map<Long, List<String>> byRound = new HashMap<>();
        latest.forEach((peer, b) -> byRound.computeIfAbsent(b.round(), r -> new ArrayList<>()).add(peer));
        return byRound.keySet().stream().sorted((a, b) -> Long.compare(b, a)).map(this::agreed)
                .filter(a -> a != null).findFirst().orElse(null);
    }

    /**
     * The majority's state of one round.
     *
     * @param round the round
     * @return it, or null when fewer than half plus one of its reporters agree
     */
    public Agreed agreed(long round) {
        Map<String, List<String>> byHash = new LinkedHashMap<>();
        int reporters = 0;
        long steps = 0;
        for (Map.Entry<String, StateBeacon> e : new java.util.TreeMap<>(latest).entrySet()) {
            StateBeacon b = e.getValue();
            if (b.round() == round) {
                reporters++;
                byHash.computeIfAbsent(b.thetaHash(), h -> new ArrayList<>()).add(e.getKey());
            }
        }
        for (Map.Entry<String, List<String>> e : byHash.entrySet()) {
            if (2 * e.getValue().size() > reporters) {
                for (StateBeacon b : latest.values()) {
                    if (b.round() == round && b.thetaHash().equals(e.getKey())) {
                        steps = b.innerSteps();
                    }
                }
                return new Agreed(round, steps, e.getKey(), e.getValue(), reporters);
            }
        }
        return null;
    }

    /**
     * The deterministic fallback when a round has no majority (its group ended with several θ, for example when an
     * all-reduce lost parts under load): the hash held by the most reporters of that round, ties broken by the
     * smallest holder id, so that every peer picks the same one and the run converges back to one θ.
     *
     * @param round the round
     * @return that hash's state, or null when nobody reported the round
     */
    public Agreed plurality(long round) {
        Map<String, List<String>> byHash = new LinkedHashMap<>();
        Map<String, Long> steps = new HashMap<>();
        int reporters = 0;
        for (Map.Entry<String, StateBeacon> e : new java.util.TreeMap<>(latest).entrySet()) {
            StateBeacon b = e.getValue();
            if (b.round() == round) {
                reporters++;
                byHash.computeIfAbsent(b.thetaHash(), h -> new ArrayList<>()).add(e.getKey());
                steps.put(b.thetaHash(), b.innerSteps());
            }
        }
        Map.Entry<String, List<String>> best = null;
        for (Map.Entry<String, List<String>> e : byHash.entrySet()) {
            if (best == null || e.getValue().size() > best.getValue().size() || e.getValue().size() == best
                    .getValue().size() && e.getValue().getFirst().compareTo(best.getValue().getFirst()) < 0) {
                best = e;
            }
        }
        return best == null ? null : new Agreed(round, steps.get(best.getKey()), best.getKey(), best.getValue(),
                reporters);
    }

    /**
     * Where a peer said it can be dialed.
     *
     * @param peer the peer
     * @return its addresses, empty when unknown
     */
    public List<String> addresses(String peer) {
        StateBeacon b = latest.get(peer);
        return b == null ? List.of() : b.addresses();
    }
}
