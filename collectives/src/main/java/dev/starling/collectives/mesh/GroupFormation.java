package dev.starling.collectives.mesh;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Forms one round's group, I/O-free (time is an argument). Peers announce {@link RoundMessage.Ready} with the hash
 * of the θ_global they start the round from; only peers announcing this peer's base hash can be its partners.
 *
 * <p>The leader is deterministic: the smallest id among the ready peers with the same base hash. It publishes the
 * roster (those peers in id order, at most {@code maxSize}) once {@code expected} of them are ready or its window
 * has passed; gossipsub signs the roster with its key. If it stays silent, the next peer in id order takes over
 * {@code leaderNanos} later (the k-th after {@code window + k × leaderNanos}), leaving out the silent ones. A
 * member accepts a roster only from the leader it expects: the roster's smallest member must be its author, the
 * members in strictly increasing id order, sizes within bounds, the sample counts those the members announced,
 * the author must not equivocate, and any ready peer it leaves out that is smaller than the author must be past
 * its own deadline (else the roster is held back, and the live leader answers at once with its own roster).
 *
 * <p>Convergence: a peer never publishes once it holds an acceptable roster, and every peer settles for
 * {@code settleNanos} after its first acceptable roster, then takes the one by the smallest author. Two rosters
 * published within a gossip delay of each other (a leader that had not yet heard of a smaller ready peer, or a
 * silent leader coming back) therefore resolve the same way on every member as long as gossip delivers within
 * the settle time. A peer left out of the chosen roster sits the round out; so does a peer without a roster by the
 * give-up time.
 *
 * <p>Confirmation: when gossip lags more than the settle time, members can still settle on different rosters (they
 * saw different rosters, or a smaller leader's roster reached only some of them). So after settling, every peer
 * publishes {@link RoundMessage.Confirm} with the hash of the roster it chose ({@link Confirm}), also when that
 * roster leaves it out, and the group is {@link Formed} only once every other member of its roster confirmed the
 * same hash. A member that confirmed another roster, or a confirmation missing at {@code confirmNanos} after
 * settling, makes this peer sit the round out. A peer confirms one roster per round, so of two different rosters
 * that share a member at most one can be confirmed by all its members: among honest peers two overlapping rosters of
 * one round never both reduce. (Two rosters with no member in common are kept apart by the caller's quorum rule, a
 * strict majority of the live peers.) Not thread-safe: one owner thread.
 */
public final class GroupFormation {
    /** Most rosters kept per round (one per author). */
    static final int MAX_ROSTERS = 64;
    private static final String EQUIVOCATED = "";

    /** What the owner should do now. */
    public sealed interface Decision permits Wait, Publish, Confirm, Formed, GiveUp {
    }

    /**
     * Nothing yet; poll again.
     *
     * @param untilNanos the next time something can change without a message
     */
    public record Wait(long untilNanos) implements Decision {
    }

    /**
     * This peer leads: publish the roster, then keep polling (the group is formed after the settle time).
     *
     * @param roster the roster to publish
     */
    public record Publish(RoundMessage.Roster roster) implements Decision {
    }

    /**
     * This peer settled on a roster: publish the confirmation, then keep polling (the group is formed once every
     * member confirmed the same roster).
     *
     * @param message the confirmation to publish
     */
    public record Confirm(RoundMessage.Confirm message) implements Decision {
    }

    /**
     * The group is formed.
     *
     * @param roster the roster every member uses
     */
    public record Formed(RoundMessage.Roster roster) implements Decision {
    }

    /**
     * No group this round.
     *
     * @param reason one line for the log
     */
    public record GiveUp(String reason) implements Decision {
    }

    /**
     * How long each step of a formation may take.
     *
     * @param windowNanos after this peer is ready, how long the leader waits for the expected peers
     * @param leaderNanos how long each leader in id order has before the next one takes over
     * @param settleNanos how long a peer waits after its first acceptable roster for a better one
     * @param giveUpNanos after this peer is ready, how long it waits for a group before sitting the round out
     * @param confirmNanos after this peer settled on a roster, how long it waits for the other members' confirmations
     */
    public record Timing(long windowNanos, long leaderNanos, long settleNanos, long giveUpNanos, long confirmNanos) {
        /**
         * Timing with a confirmation wait as long as the window.
         *
         * @param windowNanos after this peer is ready, how long the leader waits for the expected peers
         * @param leaderNanos how long each leader in id order has before the next one takes over
         * @param settleNanos how long a peer waits after its first acceptable roster for a better one
         * @param giveUpNanos after this peer is ready, how long it waits for a group before sitting the round out
         */
        public Timing(long windowNanos, long leaderNanos, long settleNanos, long giveUpNanos) {
            this(windowNanos, leaderNanos, settleNanos, giveUpNanos, windowNanos);
        }
    }

    private record Announced(RoundMessage.Member member, String baseHash, long seenAt) {
    }

    private record Candidate(String author, List<String> names, RoundMessage.Roster roster, long seenAt) {
    }

    private final String self;
    private final byte[] selfId;
    private final long round;
    private final int minSize;
    private final int maxSize;
    private final int expected;
    private final Timing timing;
    private final Map<String, Announced> ready = new TreeMap<>();
    private final Map<String, Candidate> rosters = new TreeMap<>();
    private final Set<String> equivocated = new HashSet<>();
    private final Set<String> heldBackLogged = new HashSet<>();
    /** Each peer's confirmed roster hash; {@link #EQUIVOCATED} for a peer that confirmed two. */
    private final Map<String, String> confirmations = new TreeMap<>();
    private Candidate chosen;
    private String chosenHash;
    private long chosenAt;
    private RoundMessage.Ready selfReady;
    private long selfReadyAt;
    private boolean published;
    private long settleFrom = -1;
    private Decision done;

    /**
     * Creates the formation of one round.
     *
     * @param self     this peer's id (base58; ids are ordered as strings)
     * @param selfId   this peer's id bytes
     * @param round    the round
     * @param minSize  fewest members for the round to run
     * @param maxSize  most members
     * @param expected members to wait for before the window ends (for example the live peers)
     * @param timing   the window, the leaders' turns, the settle time and the give-up time
     */
    public GroupFormation(String self, byte[] selfId, long round, int minSize, int maxSize, int expected,
                          Timing timing) {
        this.self = self;
        this.selfId = selfId.clone();
        this.round = round;
        this.minSize = minSize;
        this.maxSize = maxSize;
        this.expected = expected;
        this.timing = timing;
    }

    /**
     * Records another peer's readiness.
     *
     * @param peer     its id (base58), as authenticated by gossip
     * @param peerId   its id bytes
     * @param message  its announcement
     * @param seenNanos when this peer received it
     */
    public void onReady(String peer, byte[] peerId, RoundMessage.Ready message, long seenNanos) {
        if (message.round() == round && ready.size() < RoundMessage.MAX_MEMBERS && !peer.equals(self)) {
            ready.putIfAbsent(peer, new Announced(new RoundMessage.Member(peerId, message.samples(),
                    message.addresses()), message.baseHash(), seenNanos));
        }
    }

    /**
     * Considers a roster published by {@code author}.
     *
     * @param author   its author (base58), as authenticated by gossip's signature
     * @param names    the roster's member ids in base58, in roster order
     * @param message   the roster
     * @param seenNanos when this peer received it
     * @return null if the roster is kept (it may be held back until its author's turn), else why it was rejected
     */
    public String onRoster(String author, List<String> names, RoundMessage.Roster message, long seenNanos) {
        if (message.round() != round) {
            return "it is for round " + message.round();
        }
        if (names.size() < Math.max(1, minSize) || names.size() > maxSize) {
            return names.size() + " members, outside " + minSize + ".." + maxSize;
        }
        for (int i = 1; i < names.size(); i++) {
            if (names.get(i - 1).compareTo(names.get(i)) >= 0) {
                return "its members are not in strictly increasing id order";
            }
        }
        if (!names.getFirst().equals(author)) {
            return "it is signed by " + author + ", not by its smallest member " + names.getFirst()
                    + " (the leader)";
        }
        for (int i = 0; i < names.size(); i++) {
            String reason = contradictsAnnouncement(names.get(i), message.members().get(i), message.baseHash());
            if (reason != null) {
                return reason;
            }
        }
        if (equivocated.contains(author)) {
            return "its author already sent a different roster for this round";
        }
        Candidate previous = rosters.get(author);
        if (previous != null) {
            if (!Arrays.equals(RoundMessage.encode(previous.roster()), RoundMessage.encode(message))) {
                rosters.remove(author);
                equivocated.add(author);
                return "its author sent two different rosters for this round (both dropped)";
            }
            return null;
        }
        if (rosters.size() >= MAX_ROSTERS) {
            return "too many rosters for this round";
        }
        rosters.put(author, new Candidate(author, List.copyOf(names), message, seenNanos));
        return null;
    }

    /** Why a roster entry contradicts what that member announced itself, or null if it does not (or is unknown). */
    private String contradictsAnnouncement(String name, RoundMessage.Member entry, String baseHash) {
        long samples;
        String hash;
        if (name.equals(self)) {
            if (selfReady == null) {
                return "it names this peer, which is not ready for round " + round;
            }
            samples = selfReady.samples();
            hash = selfReady.baseHash();
        } else if (ready.containsKey(name)) {
            samples = ready.get(name).member().samples();
            hash = ready.get(name).baseHash();
        } else {
            return null;
        }
        if (samples != entry.samples()) {
            return "it weighs " + name + " with " + entry.samples() + " samples; it announced " + samples;
        }
        return hash.equals(baseHash) ? null : "it puts " + name + ", which starts from another θ, in the group";
    }

    /**
     * Records a peer's confirmation of the roster it settled on; a peer confirming two different rosters counts as
     * confirming none of them.
     *
     * @param peer    its id (base58), as authenticated by gossip
     * @param message its confirmation
     */
    public void onConfirm(String peer, RoundMessage.Confirm message) {
        if (message.round() != round || peer.equals(self)
                || confirmations.size() >= RoundMessage.MAX_MEMBERS && !confirmations.containsKey(peer)) {
            return;
        }
        String previous = confirmations.putIfAbsent(peer, message.rosterHash());
        if (previous != null && !previous.equals(message.rosterHash())) {
            confirmations.put(peer, EQUIVOCATED);
        }
    }

    /**
     * Marks this peer ready.
     *
     * @param message  the announcement it publishes
     * @param nowNanos now
     */
    public void selfReady(RoundMessage.Ready message, long nowNanos) {
        selfReady = message;
        selfReadyAt = nowNanos;
        ready.remove(self);
    }

    /**
     * Rosters held back so far because they pass over a ready peer before its turn as leader ended, once each.
     *
     * @param nowNanos now
     * @return one line per newly held-back roster
     */
    public List<String> heldBack(long nowNanos) {
        List<String> out = new ArrayList<>();
        if (selfReady == null) {
            return out;
        }
        List<String> group = group();
        for (Candidate c : rosters.values()) {
            if (c.roster().baseHash().equals(selfReady.baseHash()) && eligibleAt(c, group) > nowNanos
                    && heldBackLogged.add(c.author())) {
                out.add("holding back round " + round + "'s roster signed by " + c.author() + ": it leaves out "
                        + "ready peer " + group.getFirst() + " before that peer's turn as leader has passed");
            }
        }
        return out;
    }

    /**
     * Decides what to do now.
     *
     * @param nowNanos now
     * @return the decision; {@link Formed} and {@link GiveUp} are final and returned again on later polls
     */
    public Decision poll(long nowNanos) {
        if (done != null) {
            return done;
        }
        if (selfReady == null) {
            return new Wait(Long.MAX_VALUE);
        }
        if (chosen != null) {
            return confirming(nowNanos);
        }
        List<String> group = group();
        Candidate best = null;
        long next = selfReadyAt + timing.giveUpNanos();
        boolean challenged = false;
        for (Candidate c : rosters.values()) {
            if (!c.roster().baseHash().equals(selfReady.baseHash())) {
                continue; // another θ's group: never this peer's
            }
            challenged |= !c.names().contains(self) && self.compareTo(c.author()) < 0
                    && selfReadyAt < c.seenAt();
            long at = eligibleAt(c, group);
            if (at > nowNanos) {
                next = Math.min(next, at);
            } else if (best == null || c.author().compareTo(best.author()) < 0) {
                best = c;
            }
        }
        int rank = group.indexOf(self);
        long turn = rank == 0 ? (group.size() >= expected || challenged ? nowNanos : selfReadyAt
                + timing.windowNanos()) : selfReadyAt + timing.windowNanos() + rank * timing.leaderNanos();
        boolean mayLead = !published && best == null && group.size() - rank >= minSize;
        if (mayLead && nowNanos >= turn) {
            List<String> names = group.subList(rank, Math.min(group.size(), rank + maxSize));
            List<RoundMessage.Member> members = new ArrayList<>();
            for (String n : names) {
                members.add(n.equals(self) ? new RoundMessage.Member(selfId, selfReady.samples(),
                        selfReady.addresses()) : ready.get(n).member());
            }
            RoundMessage.Roster roster = new RoundMessage.Roster(round, selfReady.baseHash(), members);
            rosters.put(self, new Candidate(self, List.copyOf(names), roster, nowNanos));
            published = true;
            settleFrom = settleFrom < 0 ? nowNanos : settleFrom;
            return new Publish(roster);
        }
        if (mayLead) {
            next = Math.min(next, turn);
        }
        if (best != null) {
            settleFrom = settleFrom < 0 ? nowNanos : settleFrom;
            if (nowNanos >= settleFrom + timing.settleNanos()) {
                chosen = best;
                chosenHash = RoundMessage.rosterHash(best.roster());
                chosenAt = nowNanos;
                return new Confirm(new RoundMessage.Confirm(round, chosenHash));
            }
            next = Math.min(next, settleFrom + timing.settleNanos());
        }
        if (nowNanos >= selfReadyAt + timing.giveUpNanos()) {
            done = new GiveUp("no roster for round " + round + " after " + timing.giveUpNanos() / 1_000_000
                    + " ms with " + group.size() + " ready peers on this θ (need " + minSize + ")");
            return done;
        }
        return new Wait(next);
    }

    /** After this peer confirmed {@link #chosen}: formed once every other member confirmed it too. */
    private Decision confirming(long nowNanos) {
        if (!chosen.names().contains(self)) {
            done = new GiveUp("round " + round + "'s group formed without this peer (roster signed by "
                    + chosen.author() + ")");
            return done;
        }
        int missing = 0;
        for (String member : chosen.names()) {
            String hash = member.equals(self) ? chosenHash : confirmations.get(member);
            if (hash == null) {
                missing++;
            } else if (!hash.equals(chosenHash)) {
                done = new GiveUp("round " + round + ": member " + member + " confirmed another roster than the one"
                        + " signed by " + chosen.author() + "; sitting the round out");
                return done;
            }
        }
        if (missing == 0) {
            done = new Formed(chosen.roster());
            return done;
        }
        if (nowNanos >= chosenAt + timing.confirmNanos()) {
            done = new GiveUp("round " + round + ": " + missing + " of " + chosen.names().size() + " members did not"
                    + " confirm the roster signed by " + chosen.author() + " within " + timing.confirmNanos()
                    / 1_000_000 + " ms; sitting the round out");
            return done;
        }
        return new Wait(chosenAt + timing.confirmNanos());
    }

    /** The ready peers (this one included) that start from this peer's θ, in id order. */
    private List<String> group() {
        List<String> out = new ArrayList<>();
        boolean selfAdded = false;
        for (Map.Entry<String, Announced> e : ready.entrySet()) {
            if (!selfAdded && e.getKey().compareTo(self) > 0) {
                out.add(self);
                selfAdded = true;
            }
            if (e.getValue().baseHash().equals(selfReady.baseHash())) {
                out.add(e.getKey());
            }
        }
        if (!selfAdded) {
            out.add(self);
        }
        return out;
    }

    /**
     * When a roster becomes acceptable here: at once unless it leaves out a ready peer on this θ, smaller than its
     * author, whose readiness this peer knew before the roster arrived (a peer that became ready later was simply
     * late, not passed over); else when the author's turn as a replacement leader has come by this peer's clock
     * (half a turn early, for peers that became ready at slightly different times).
     */
    private long eligibleAt(Candidate c, List<String> group) {
        if (c.author().equals(self)) {
            return c.seenAt();
        }
        int passedOver = 0;
        for (String g : group) {
            long readyAt = g.equals(self) ? selfReadyAt : ready.get(g).seenAt();
            if (g.compareTo(c.author()) < 0 && readyAt < c.seenAt()) {
                passedOver++;
            }
        }
        return passedOver == 0 ? c.seenAt() : Math.max(c.seenAt(), selfReadyAt + timing.windowNanos()
                + passedOver * timing.leaderNanos() - timing.leaderNanos() / 2);
    }
}
