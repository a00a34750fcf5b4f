package dev.starling.peer.node;

import dev.starling.collectives.mesh.RoundMessage;
import dev.starling.fault.deadline.AdaptiveDeadlines;
import dev.starling.fault.membership.MembershipView;
import dev.starling.fault.membership.PhiAccrualDetector;
import dev.starling.fault.sync.HeldStates;
import dev.starling.fault.sync.PublishedStates;
import dev.starling.fault.sync.StateBeacon;
import dev.starling.fault.sync.StateImage;
import dev.starling.fault.sync.StateManifest;
import dev.starling.fault.sync.StateSyncService;
import dev.starling.fault.sync.SyncDecision;
import dev.starling.fault.sync.SyncException;
import dev.starling.fault.sync.SyncPlan;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.pubsub.PubsubMessage;
import dev.starling.protocol.RunProtocols;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A mesh peer's elastic membership: it beacons its state on the run's state topic every second (the failure
 * detector's heartbeat, the published θ hash and where to fetch it), keeps the membership view and the
 * majority-agreed state from the others' beacons, serves its own last states on {@link StateSyncService#PROTOCOL},
 * and before each round decides whether this peer must download the run's state first: when it is behind (it just
 * joined, restarted, or sat a round out) or when its θ hash differs from the majority of the last round's reporters.
 * Threads: beacons, the view and downloads run on the owner executor it is given (the matchmaker's, so the expected
 * group size is read there); {@link #catchUp} and {@link #published} are called by the training thread.
 */
public final class ElasticRounds implements AutoCloseable {
    /** Beacon period. */
    static final long BEAT_MILLIS = 1000;
    /** How long a peer that just started listens for beacons before deciding it starts the run. */
    static final long JOIN_LISTEN_MILLIS = 5 * BEAT_MILLIS;
    /** φ above which a silent peer leaves the view. */
    static final double PHI_THRESHOLD = 8;
    /** Downloads in a row before a round when the run keeps moving on during each. */
    static final int MAX_CATCH_UPS = 3;
    /** How long a peer that sat a round out waits for that round's beacons. */
    static final long STALE_WAIT_MILLIS = 3 * BEAT_MILLIS;

    private static final Logger LOG = LoggerFactory.getLogger(ElasticRounds.class);

    /**
     * A state this peer downloaded.
     *
     * @param image   the verified state
     * @param bytes   bytes downloaded
     * @param millis  how long the download took
     * @param sources sources used
     */
    public record Synced(StateImage image, long bytes, long millis, int sources) {
    }

    private final PeerNode node;
    private final EventExecutor owner;
    private final LongSupplier clock;
    private final String topic;
    private final String roundTopic;
    private final String self;
    private final int maxGroup;
    private final long syncTimeoutNanos;
    private final HeldStates held = new HeldStates(StateManifest.DEFAULT_CHUNK_BYTES);
    private final StateSyncService sync;
    private final MembershipView view;
    private final PublishedStates published = new PublishedStates();
    private final ScheduledFuture<?> beat;
    private volatile StateBeacon current;
    private final AdaptiveDeadlines deadlines = new AdaptiveDeadlines(AdaptiveDeadlines.Settings.defaults());
    private long lastPhaseBytes;
    private int lastGroup;

    /**
     * Starts beaconing the initial state and serving it.
     *
     * @param node             the joined node
     * @param owner            the owner executor (shared with the matchmaker)
     * @param maxGroup         the run's largest group
     * @param initial          the state before round 1 (round 0)
     * @param syncTimeoutNanos a download that has not finished by then fails (this peer then tries again later)
     */
    public ElasticRounds(PeerNode node, EventExecutor owner, int maxGroup, StateImage initial, long syncTimeoutNanos) {
        this.node = node;
        this.owner = owner;
        this.clock = System::nanoTime;
        this.topic = "/starling/" + node.runId() + "/state";
        this.roundTopic = RunProtocols.roundTopic(node.runId());
        this.self = node.peerId();
        this.maxGroup = maxGroup;
        this.syncTimeoutNanos = syncTimeoutNanos;
        long beatNanos = TimeUnit.MILLISECONDS.toNanos(BEAT_MILLIS);
        this.view = new MembershipView(self, new PhiAccrualDetector(beatNanos, beatNanos / 5, 2 * beatNanos),
                PHI_THRESHOLD);
        this.sync = new StateSyncService(node.host(), held, owner, clock, SyncPlan.Settings.defaults(),
                syncTimeoutNanos);
        published(initial);
        node.gossip().subscribe(topic, message -> {
            if (!owner.isShuttingDown()) {
                owner.execute(() -> receive(message));
            }
        });
        this.beat = owner.scheduleAtFixedRate(this::beat, 0, BEAT_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void receive(PubsubMessage message) {
        String author;
        StateBeacon beacon;
        try {
            author = new PeerId(message.from()).toBase58();
            beacon = StateBeacon.decode(message.data());
        } catch (SyncException | P2pException e) {
            LOG.debug("state topic: dropping a malformed beacon: {}", e.getMessage());
            return;
        }
        if (beacon.status() == StateBeacon.Status.LEAVING) {
            view.left(author);
            published.onBeacon(author, beacon);
        } else if (view.heartbeat(author, beacon.round(), clock.getAsLong())) {
            published.onBeacon(author, beacon);
        }
    }

    private void beat() {
        StateBeacon b = current;
        published.onBeacon(self, b);
        published.retain(view.snapshot(0, clock.getAsLong()).live());
        node.gossip().publish(topic, b.encode());
        if (view.snapshot(0, clock.getAsLong()).size() == 1) {
            // Alone so far: say hello on the round topic (which the coordinator relays) so peers dial this one.
            node.gossip().publish(roundTopic, RoundMessage.encode(new RoundMessage.Ready(0, 0, "",
                    b.addresses())));
        }
    }

    /**
     * How many peers the next round's group should wait for: the live peers of the view (this one included).
     * Called on the owner thread.
     *
     * @return the expected group size, at most the run's largest group
     */
    public int expectedGroupSize() {
        return Math.min(maxGroup, view.snapshot(0, clock.getAsLong()).size());
    }

    /**
     * The next all-reduce's deadlines from the rates measured in earlier rounds (the manifest's cap while a member's
     * link was never measured). Training thread only.
     *
     * @param members  the round's members (peer ids)
     * @param capNanos the manifest's cap on a round
     * @return the reduce and gather deadlines, offsets from now
     */
    public AdaptiveDeadlines.Phases deadlines(List<String> members, long capNanos) {
        List<String> others = members.stream().filter(m -> !m.equals(self)).toList();
        return lastPhaseBytes == 0 ? new AdaptiveDeadlines.Phases(capNanos / 2, capNanos)
                : deadlines.plan(others, lastPhaseBytes, capNanos);
    }

    /**
     * The partition rule: a group may step only if it holds a strict majority of the last group this peer stepped
     * with, or, after a state download, of the peers that published that state (any group before the first round).
     * In a split, the side without a quorum waits and catches up when the network heals. The group must also hold a
     * strict majority of the peers live now, so that of two groups formed for one round on different θ (a stale
     * minority that did not resync in time) at most one steps. Training thread only.
     *
     * @param groupSize the formed group's size
     * @return true if the group may run the round
     * @throws InterruptedException if interrupted while asking the membership view
     */
    public boolean quorum(int groupSize) throws InterruptedException {
        int live = onOwner(this::expectedGroupSize);
        return (lastGroup == 0 || 2 * groupSize > lastGroup) && 2 * groupSize > live;
    }

    /**
     * Records how fast a finished all-reduce delivered its bytes to this peer. Training thread only.
     *
     * @param members       the round's members (peer ids)
     * @param bytesReceived bytes this peer received in the round (both phases)
     * @param nanos         how long the all-reduce took
     */
    public void observeRound(List<String> members, long bytesReceived, long nanos) {
        lastGroup = members.size();
        lastPhaseBytes = bytesReceived / 2;
        for (String m : members) {
            if (!m.equals(self)) {
                deadlines.observe(m, bytesReceived, nanos);
            }
        }
    }

    /**
     * Serves and beacons the state this peer holds after a round. Called by the training thread.
     *
     * @param state the state (round, inner steps, θ_global and the outer optimizer's state)
     */
    public void published(StateImage state) {
        held.publish(state);
        current = new StateBeacon(StateBeacon.Status.ACTIVE, state.round(), state.innerSteps(), state.thetaHash(),
                node.dialableAddresses());
        if (beat != null) {
            owner.execute(this::beat);
        }
    }

    /**
     * Before a round: downloads the run's state if the run has finished a round after the last one this peer holds
     * the outcome of, or if this peer holds a θ for that round that the majority of its reporters do not.
     *
     * @param nextRound the round this peer is about to run
     * @param ownHash   this peer's θ_global hash
     * @param first     true before this peer's first round (it listens for beacons a moment first)
     * @return the verified state to take over, or null when this peer is current (or no download succeeded)
     * @throws InterruptedException if interrupted while waiting
     */
    public Synced catchUp(long nextRound, String ownHash, boolean first) throws InterruptedException {
        if (first) {
            // Listen until another peer's beacon arrives (or nobody answers: this peer starts the run), then one
            // more beat so the beacons of the rest of the group arrive too and the majority is the group's.
            long until = clock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(JOIN_LISTEN_MILLIS);
            while (clock.getAsLong() < until && onOwner(() -> view.snapshot(0, clock.getAsLong()).size()) < 2) {
                Thread.sleep(50); // polling the owner, bounded by JOIN_LISTEN_MILLIS
            }
            if (onOwner(() -> view.snapshot(0, clock.getAsLong()).size()) > 1) {
                Thread.sleep(BEAT_MILLIS + BEAT_MILLIS / 2);
            }
        }
        if (!first && current.round() < nextRound - 1) {
            // This peer sat the last round out: wait a moment for that round's beacons, so it does not reduce the
            // next round from a stale θ_global (the round may also have formed nowhere; then it goes on).
            long until = clock.getAsLong() + TimeUnit.MILLISECONDS.toNanos(STALE_WAIT_MILLIS);
            while (clock.getAsLong() < until && !newerThanOwn()) {
                Thread.sleep(50); // polling the owner, bounded by STALE_WAIT_MILLIS
            }
        }
        PublishedStates.Agreed agreed = onOwner(published::newest);
        SyncDecision decision = SyncDecision.decide(agreed, current.round(), ownHash);
        if (decision == SyncDecision.NONE && (agreed == null || agreed.round() < current.round())) {
            // No majority on this peer's last round (its group ended with several θ). Peers group only with equal
            // θ, so without this nobody would group again: all take the plurality's θ (ties: smallest holder).
            long mine = current.round();
            PublishedStates.Agreed plurality = onOwner(() -> published.plurality(mine));
            // only once every member of this peer's last group has reported it, so a partial view cannot mislead
            if (plurality != null && plurality.reporters() > 1 && plurality.reporters() >= lastGroup
                    && !plurality.thetaHash().equals(ownHash)) {
                LOG.warn("state sync: no majority on round {} among {} reporters; taking the plurality's θ {}", mine,
                        plurality.reporters(), plurality.thetaHash().substring(0, 12));
                agreed = plurality;
                decision = SyncDecision.RESYNC;
            }
        }
        if (decision == SyncDecision.NONE) {
            return null;
        }
        List<PeerId> sources = new ArrayList<>();
        for (String holder : agreed.holders()) {
            if (!holder.equals(self)) {
                PeerId id = PeerId.fromString(holder);
                connect(id, onOwner(() -> published.addresses(holder)));
                sources.add(id);
            }
        }
        if (sources.isEmpty()) {
            return null;
        }
        LOG.info("state sync: {} round {} (θ {}) from {} peers",
                decision == SyncDecision.CATCH_UP ? "catching up to" : "θ differs from the majority's, resyncing to",
                agreed.round(), agreed.thetaHash().substring(0, 12), sources.size());
        try {
            StateSyncService.Download d = sync.download(agreed.round(), agreed.thetaHash(), sources)
                    .get(syncTimeoutNanos + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
            long millis = d.nanos() / 1_000_000;
            System.err.printf(Locale.ROOT, "state sync: round %d, %.2f MB from %d peers in %d ms%s%n",
                    d.image().round(), d.manifest().totalBytes() / 1e6, d.sources().size(), millis,
                    d.excluded().isEmpty() ? "" : " (excluded " + d.excluded() + ")");
            lastGroup = agreed.holders().size(); // the quorum base: the group that published this state
            return new Synced(d.image(), d.manifest().totalBytes(), millis, d.sources().size());
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            LOG.warn("state sync: no state for round {}: {}", agreed.round(), cause.getMessage());
            return null;
        }
    }

    private boolean newerThanOwn() throws InterruptedException {
        PublishedStates.Agreed agreed = onOwner(published::newest);
        return agreed != null && agreed.round() > current.round();
    }

    private void connect(PeerId peer, List<String> addresses) {
        if (node.host().connection(peer).isPresent()) {
            return;
        }
        for (String address : addresses) {
            try {
                node.host().dial(Multiaddr.fromString(address).withPeerId(peer)).get(5, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                // try the next address
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private <T> T onOwner(java.util.concurrent.Callable<T> query) throws InterruptedException {
        CompletableFuture<T> f = new CompletableFuture<>();
        owner.execute(() -> {
            try {
                f.complete(query.call());
            } catch (Exception e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the membership owner did not answer: " + e.getMessage(), e);
        }
    }

    /**
     * Announces this peer's leave (peers drop it from their view at once) and stops serving state.
     */
    @Override
    public void close() {
        beat.cancel(false);
        StateBeacon b = current;
        try {
            node.gossip().publish(topic, new StateBeacon(StateBeacon.Status.LEAVING, b.round(), b.innerSteps(),
                    b.thetaHash(), List.of()).encode()).get(2, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.debug("leave beacon not sent: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sync.close();
    }
}
