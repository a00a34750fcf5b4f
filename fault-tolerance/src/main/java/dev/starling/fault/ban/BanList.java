package dev.starling.fault.ban;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The peers banned from each run, and the strikes that lead there. A ban is for one run and for good: a banned id is
 * refused when it tries to join a group of that run ({@link #admit}), so leaving and rejoining does not clear it.
 * Bans come only from evidence every member can reproduce (a reducer verification verdict, a forged reveal); a strike
 * is a lesser fault that cannot be proven to others on its own (a false accusation, a missing message) and bans after
 * {@code strikesToBan} of them in the same run. I/O-free; owned by one thread (the peer's round loop).
 */
public final class BanList {
    /**
     * One ban.
     *
     * @param runId  the run
     * @param peerId the banned peer
     * @param round  the round whose evidence banned it
     * @param reason what it did, for people
     */
    public record Ban(String runId, String peerId, long round, String reason) {
    }

    private final int strikesToBan;
    private final Map<String, Map<String, Ban>> bans = new LinkedHashMap<>();
    private final Map<String, Map<String, Integer>> strikes = new LinkedHashMap<>();

    /**
     * Creates an empty list.
     *
     * @param strikesToBan strikes in one run that make a ban, at least 1
     * @throws IllegalArgumentException if {@code strikesToBan < 1}
     */
    public BanList(final int strikesToBan) {
        if (strikesToBan < 1) {
            throw new IllegalArgumentException("strikes to ban must be at least 1, got " + strikesToBan);
        }
        this.strikesToBan = strikesToBan;
    }

    /**
     * Bans a peer from a run (a second ban of the same peer keeps the first).
     *
     * @param runId  the run
     * @param peerId the peer
     * @param round  the round of the evidence
     * @param reason what it did
     * @return true if the peer was not banned before
     */
    public boolean ban(final String runId, final String peerId, final long round, final String reason) {
        Objects.requireNonNull(reason, "reason");
        return bans.computeIfAbsent(Objects.requireNonNull(runId, "runId"), k -> new LinkedHashMap<>())
            .putIfAbsent(Objects.requireNonNull(peerId, "peerId"), new Ban(runId, peerId, round, reason)) == null;
    }

    /**
     * Records a strike; the {@code strikesToBan}-th one in the run bans.
     *
     * @param runId  the run
     * @param peerId the peer
     * @param round  the round
     * @param reason what it did
     * @return true if this strike banned the peer
     */
    public boolean strike(final String runId, final String peerId, final long round, final String reason) {
        if (isBanned(runId, peerId)) {
            return false;
        }
        int count = strikes.computeIfAbsent(runId, k -> new LinkedHashMap<>()).merge(peerId, 1, Integer::sum);
        return count >= strikesToBan && ban(runId, peerId, round, reason + " (" + count + " strikes)");
    }

    /**
     * Whether a peer is banned from a run.
     *
     * @param runId  the run
     * @param peerId the peer
     * @return true if banned
     */
    public boolean isBanned(final String runId, final String peerId) {
        return bans.getOrDefault(runId, Map.of()).containsKey(peerId);
    }

    /**
     * Strikes a peer has in a run.
     *
     * @param runId  the run
     * @param peerId the peer
     * @return the count, 0 if none
     */
    public int strikes(final String runId, final String peerId) {
        return strikes.getOrDefault(runId, Map.of()).getOrDefault(peerId, 0);
    }

    /**
     * The candidates allowed into a group of the run: everyone not banned from it, in the given order.
     *
     * @param runId      the run
     * @param candidates peers asking to join
     * @return the admitted ones
     */
    public List<String> admit(final String runId, final List<String> candidates) {
        List<String> out = new ArrayList<>();
        for (String c : candidates) {
            if (!isBanned(runId, c)) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * The bans of a run, in the order they were made.
     *
     * @param runId the run
     * @return the bans
     */
    public List<Ban> bans(final String runId) {
        return List.copyOf(bans.getOrDefault(runId, Map.of()).values());
    }
}
