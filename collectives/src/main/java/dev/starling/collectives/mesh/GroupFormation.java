package dev.starling.collectives.mesh;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Forms one round's group, I/O-free (time is an argument). Peers announce {@link RoundMessage.Ready};
 * once this peer is ready it waits until {@code expected} peers are ready or its window passes. The
 * leader is the smallest peer id among the ready peers it knows: the leader publishes the roster (the
 * ready peers in id order, at most {@code maxSize}), and everyone else takes the first roster that
 * includes them and whose author is its own smallest member. Without a roster by the give-up time a
 * peer sits the round out; it does so at once when a valid roster for the round leaves it out.
 * Not thread-safe: one owner thread.
 */
public final class GroupFormation {
    /** What the owner should do now. */
    public sealed interface Decision permits Wait, Publish, Formed, GiveUp {
    }

    /**
     * Nothing yet; poll again.
     *
     * @param untilNanos the next time something can change without a message
     */
    public record Wait(long untilNanos) implements Decision {
    }

    /**
     * This peer leads: publish the roster, then use it.
     *
     * @param roster the roster to publish
     */
    public record Publish(RoundMessage.Roster roster) implements Decision {
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

    private final String self;
    private final byte[] selfId;
    private final long round;
    private final int minSize;
    private final int maxSize;
    private final int expected;
    private final long windowNanos;
    private final long giveUpNanos;
    private final Map<String, RoundMessage.Member> ready = new TreeMap<>();
    private RoundMessage.Ready selfReady;
    private long selfReadyAt;
    private RoundMessage.Roster roster;
    private boolean published;
    private String formedWithout;

    /**
     * Creates the formation of one round.
     *
     * @param self        this peer's id (base58; ids are ordered as strings)
     * @param selfId      this peer's id bytes
     * @param round       the round
     * @param minSize     fewest members for the round to run
     * @param maxSize     most members
     * @param expected    members to wait for before the window ends (for example last round's group size)
     * @param windowNanos how long to wait for others after this peer is ready
     * @param giveUpNanos how long after this peer is ready to wait for a roster before sitting out
     */
    public GroupFormation(String self, byte[] selfId, long round, int minSize, int maxSize, int expected,
                          long windowNanos, long giveUpNanos) {
        this.self = self;
        this.round = round;
        this.minSize = minSize;
        this.maxSize = maxSize;
        this.expected = expected;
        this.windowNanos = windowNanos;
        this.giveUpNanos = giveUpNanos;
        this.selfId = selfId.clone();
    }

    /**
     * Records another peer's readiness.
     *
     * @param peer    its id (base58), as authenticated by gossip
     * @param peerId  its id bytes
     * @param message its announcement
     */
    public void onReady(String peer, byte[] peerId, RoundMessage.Ready message) {
        if (message.round() == round && ready.size() < RoundMessage.MAX_MEMBERS) {
            ready.putIfAbsent(peer, new RoundMessage.Member(peerId, message.addresses()));
        }
    }

    /**
     * Considers a roster published by {@code author}.
     *
     * @param author  its author (base58), as authenticated by gossip
     * @param names   the roster's member ids in base58, in roster order
     * @param message the roster
     */
    public void onRoster(String author, List<String> names, RoundMessage.Roster message) {
        if (roster != null || message.round() != round || names.isEmpty()) {
            return;
        }
        String smallest = names.stream().min(String::compareTo).orElseThrow();
        if (!author.equals(smallest) || !names.getFirst().equals(smallest)) {
            return;
        }
        if (names.contains(self)) {
            roster = message;
        } else if (selfReady != null) {
            formedWithout = author; // the round's group formed without this peer: no point waiting for another
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
        ready.put(self, new RoundMessage.Member(selfId, message.addresses()));
    }

    /**
     * Decides what to do now.
     *
     * @param nowNanos now
     * @return the decision
     */
    public Decision poll(long nowNanos) {
        if (roster != null) {
            return new Formed(roster);
        }
        if (selfReady == null) {
            return new Wait(Long.MAX_VALUE);
        }
        if (formedWithout != null && !published) {
            return new GiveUp("round " + round + "'s group formed without this peer (roster by " + formedWithout + ")");
        }
        long windowEnd = selfReadyAt + windowNanos;
        boolean windowOver = nowNanos >= windowEnd || ready.size() >= expected;
        String leader = ready.keySet().iterator().next();
        if (windowOver && leader.equals(self) && !published && ready.size() >= minSize) {
            List<RoundMessage.Member> members = new ArrayList<>(ready.values());
            roster = new RoundMessage.Roster(round, members.subList(0, Math.min(maxSize, members.size())));
            published = true;
            return new Publish(roster);
        }
        if (nowNanos >= selfReadyAt + giveUpNanos) {
            return new GiveUp("no roster for round " + round + " after " + giveUpNanos / 1_000_000 + " ms with "
                    + ready.size() + " ready peers (need " + minSize + ")");
        }
        return new Wait(windowOver ? selfReadyAt + giveUpNanos : windowEnd);
    }
}
