package dev.starling.collectives.mesh;

import dev.starling.collectives.CollectivesException;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.pubsub.GossipSub;
import dev.starling.p2p.pubsub.PubsubMessage;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link GroupFormation} over gossipsub: announces this peer's readiness on the run's round topic,
 * feeds others' announcements and rosters to the formation of their round, and completes with the roster.
 * Rosters are authenticated by gossipsub's strict signing (the author's host key); a roster that its round's
 * leader could not have signed is rejected with a one-line warning naming its author. Announcements and rosters
 * for rounds ahead of this peer's (it is still downloading the run's state) are kept, so that a peer arriving late
 * at a round sees at once that its group already formed.
 * Thread model: one owner executor holds every formation and the poll timer.
 */
public final class MeshMatchmaker implements AutoCloseable {
    /** Rounds ahead of the newest started one for which announcements are kept. */
    static final int ROUNDS_AHEAD = 2;
    /** Rounds far ahead of this peer's for which rosters are kept until it gets there. */
    static final int FAR_ROUNDS_KEPT = 8;
    static final long POLL_MILLIS = 20;
    /** Longest default settle time. */
    public static final long MAX_SETTLE_NANOS = 1_000_000_000L;

    private static final Logger LOG = LoggerFactory.getLogger(MeshMatchmaker.class);

    private final GossipSub gossip;
    private final String topic;
    private final EventExecutor owner;
    private final LongSupplier clock;
    private final PeerId self;
    private final Settings settings;
    private final Map<Long, GroupFormation> formations = new HashMap<>();
    private final Map<PeerId, FarReady> farAhead = new HashMap<>();
    private final TreeMap<Long, List<FarRoster>> farRosters = new TreeMap<>();

    /** A readiness for a round this peer has not reached yet, with when it arrived. */
    private record FarReady(RoundMessage.Ready ready, long seenNanos) {
    }

    /** A roster for a round this peer has not reached yet, with when it arrived. */
    private record FarRoster(PubsubMessage message, long seenNanos) {
    }
    private long newestStarted = -1;
    private int lastGroupSize;
    private volatile BiConsumer<PeerId, List<String>> peerSeen = (peer, addresses) -> { };
    private volatile IntSupplier expectedSize;
    private volatile long rostersRejected;

    /**
     * Group-size and timing settings.
     *
     * @param minSize     fewest members
     * @param maxSize     most members
     * @param windowNanos how long to wait for others once ready
     * @param leaderNanos how long each leader in id order has to publish before the next takes over
     * @param settleNanos how long to wait after the first acceptable roster for a competing one
     * @param giveUpNanos how long to wait for a roster before sitting the round out
     */
    public record Settings(int minSize, int maxSize, long windowNanos, long leaderNanos, long settleNanos,
                           long giveUpNanos) {
        /**
         * Settings with a leader's turn as long as the window and a settle time of a quarter of it, at most
         * {@link #MAX_SETTLE_NANOS} (gossip crosses a WAN in well under that).
         *
         * @param minSize     fewest members
         * @param maxSize     most members
         * @param windowNanos how long to wait for others once ready
         * @param giveUpNanos how long to wait for a roster before sitting the round out
         */
        public Settings(int minSize, int maxSize, long windowNanos, long giveUpNanos) {
            this(minSize, maxSize, windowNanos, windowNanos, Math.min(MAX_SETTLE_NANOS, windowNanos / 4), giveUpNanos);
        }

        GroupFormation.Timing timing() {
            // members' confirmations cross gossip once more: as long as a window, or a quarter of the give-up time
            return new GroupFormation.Timing(windowNanos, leaderNanos, settleNanos, giveUpNanos,
                    Math.max(windowNanos, giveUpNanos / 4));
        }
    }

    /**
     * Subscribes to the round topic.
     *
     * @param gossip   the gossip router
     * @param topic    the run's round topic
     * @param self     this peer's id
     * @param owner    the owner executor
     * @param clock    monotonic nanoseconds
     * @param settings sizes and timing
     */
    public MeshMatchmaker(GossipSub gossip, String topic, PeerId self, EventExecutor owner, LongSupplier clock,
                          Settings settings) {
        this.gossip = gossip;
        this.topic = topic;
        this.owner = owner;
        this.clock = clock;
        this.self = self;
        this.settings = settings;
        gossip.subscribe(topic, message -> {
            if (!owner.isShuttingDown()) {
                owner.execute(() -> receive(message, clock.getAsLong()));
            }
        });
    }

    private GroupFormation formation(long round) {
        // Wait for as many peers as last round's group (all of them at first), or until the window ends.
        IntSupplier hint = expectedSize;
        int expected = hint != null ? Math.max(1, Math.min(settings.maxSize(), hint.getAsInt()))
                : lastGroupSize > 0 ? lastGroupSize : settings.maxSize();
        return formations.computeIfAbsent(round, r -> new GroupFormation(self.toBase58(), self.bytes(), r,
                settings.minSize(), settings.maxSize(), expected, settings.timing()));
    }

    private void receive(PubsubMessage message, long seenNanos) {
        RoundMessage decoded;
        PeerId author;
        List<String> names = List.of();
        try {
            author = new PeerId(message.from());
            decoded = RoundMessage.decode(message.data());
            if (decoded instanceof RoundMessage.Roster roster) {
                names = roster.members().stream().map(m -> new PeerId(m.peerId()).toBase58()).toList();
            }
        } catch (CollectivesException | P2pException e) {
            LOG.warn("matchmaking: dropping a malformed round message: {}", e.getMessage());
            return;
        }
        long round = decoded.round();
        if (decoded instanceof RoundMessage.Ready ready) {
            // Any round, also 0 (the hello a peer sends when it joins): peers learn each other's addresses early.
            peerSeen.accept(author, ready.addresses());
        }
        if (round > Math.max(newestStarted, 0) + ROUNDS_AHEAD && decoded instanceof RoundMessage.Ready ready
                && (farAhead.size() < RoundMessage.MAX_MEMBERS || farAhead.containsKey(author))) {
            // A peer that skips ahead (after a state download) still needs the readiness others announced before.
            farAhead.put(author, new FarReady(ready, seenNanos));
        }
        if (round > Math.max(newestStarted, 0) + ROUNDS_AHEAD && decoded instanceof RoundMessage.Roster) {
            // and the rosters: its group may have formed before it gets there
            keepFarRoster(round, new FarRoster(message, seenNanos));
        }
        if (round < newestStarted || round > Math.max(newestStarted, 0) + ROUNDS_AHEAD) {
            return;
        }
        GroupFormation f = formation(round);
        switch (decoded) {
            case RoundMessage.Ready ready -> {
                f.onReady(author.toBase58(), author.bytes(), ready, seenNanos);
            }
            case RoundMessage.Roster roster -> {
                String rejected = f.onRoster(author.toBase58(), names, roster, seenNanos);
                if (rejected != null) {
                    rostersRejected++; // written on the owner thread only
                    LOG.warn("matchmaking: rejecting round {}'s roster from {}: {}", round, author, rejected);
                }
            }
            case RoundMessage.Confirm confirm -> f.onConfirm(author.toBase58(), confirm);
        }
    }

    private void keepFarRoster(long round, FarRoster message) {
        List<FarRoster> kept = farRosters.get(round);
        if (kept == null && farRosters.size() >= FAR_ROUNDS_KEPT) {
            if (round > farRosters.lastKey()) {
                return; // the nearest rounds matter; a flood of far-future ones must not push them out
            }
            farRosters.pollLastEntry();
        }
        kept = farRosters.computeIfAbsent(round, r -> new ArrayList<>());
        if (kept.size() < GroupFormation.MAX_ROSTERS) {
            kept.add(message);
        }
    }

    private void advanceTo(long round) {
        newestStarted = Math.max(newestStarted, round);
        formations.keySet().removeIf(r -> r < round);
        farRosters.headMap(round).clear();
        List<FarRoster> due = new ArrayList<>();
        while (!farRosters.isEmpty() && farRosters.firstKey() <= newestStarted + ROUNDS_AHEAD) {
            due.addAll(farRosters.pollFirstEntry().getValue());
        }
        farAhead.entrySet().removeIf(e -> {
            long r = e.getValue().ready().round();
            if (r >= newestStarted && r <= newestStarted + ROUNDS_AHEAD) {
                formation(r).onReady(e.getKey().toBase58(), e.getKey().bytes(), e.getValue().ready(),
                        e.getValue().seenNanos());
            }
            return r <= newestStarted + ROUNDS_AHEAD;
        });
        due.forEach(d -> receive(d.message(), d.seenNanos()));
    }

    /**
     * Announces readiness for {@code round} and completes with its roster, or with {@code null} when this
     * peer sits the round out.
     *
     * @param round     the round
     * @param samples   samples processed this round (this peer's weight)
     * @param baseHash  the hash of the θ_global this peer starts the round from
     * @param addresses where this peer can be dialed
     * @return the roster, or null
     */
    public CompletableFuture<RoundMessage.Roster> form(long round, long samples, String baseHash,
                                                       List<String> addresses) {
        CompletableFuture<RoundMessage.Roster> result = new CompletableFuture<>();
        owner.execute(() -> {
            advanceTo(round);
            RoundMessage.Ready ready = new RoundMessage.Ready(round, samples, baseHash, addresses);
            GroupFormation f = formation(round);
            f.selfReady(ready, clock.getAsLong());
            gossip.publish(topic, RoundMessage.encode(ready));
            ScheduledFuture<?>[] timer = new ScheduledFuture<?>[1];
            timer[0] = owner.scheduleAtFixedRate(() -> {
                long now = clock.getAsLong();
                f.heldBack(now).forEach(line -> LOG.warn("matchmaking: {}", line));
                switch (f.poll(now)) {
                    case GroupFormation.Wait ignored -> { }
                    case GroupFormation.Publish publish -> {
                        // signed with this peer's key by gossipsub; the group is formed after the settle time
                        gossip.publish(topic, RoundMessage.encode(publish.roster()));
                    }
                    case GroupFormation.Confirm confirm ->
                            gossip.publish(topic, RoundMessage.encode(confirm.message()));
                    case GroupFormation.Formed formed -> {
                        timer[0].cancel(false);
                        lastGroupSize = formed.roster().members().size();
                        result.complete(formed.roster());
                    }
                    case GroupFormation.GiveUp giveUp -> {
                        LOG.warn("matchmaking: {}", giveUp.reason());
                        timer[0].cancel(false);
                        result.complete(null);
                    }
                }
            }, 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
        });
        return result;
    }

    /**
     * Sets who is told about every peer announcing readiness, with its addresses (for example to dial it,
     * so that the peers' own gossip mesh does not depend on the bootstrap node). Called on the owner thread.
     *
     * @param listener the listener; must be quick
     */
    public void onPeerSeen(BiConsumer<PeerId, List<String>> listener) {
        this.peerSeen = listener;
    }

    /**
     * Sets how many ready peers a formation waits for before its window ends (for example the live peers of a
     * membership view) instead of last round's group size. Called on the owner thread.
     *
     * @param size the expected group size, capped by the maximum
     */
    public void expectGroupSize(IntSupplier size) {
        this.expectedSize = size;
    }

    /**
     * Moves this peer to a later round without forming the ones in between (after it downloaded the run's state),
     * so that announcements for that round are kept from now on.
     *
     * @param round the round this peer will form next
     */
    public void skipTo(long round) {
        owner.execute(() -> {
            advanceTo(round);
        });
    }

    /**
     * Rosters rejected so far because their round's leader could not have signed them (any thread).
     *
     * @return the count
     */
    public long rostersRejected() {
        return rostersRejected;
    }

    /** Stops taking round messages. */
    @Override
    public void close() {
        owner.execute(() -> {
            formations.clear();
            farAhead.clear();
            farRosters.clear();
        });
    }
}
