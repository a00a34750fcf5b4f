package dev.starling.collectives.mesh;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.verify.AuditCodec;
import dev.starling.collectives.verify.AuditMessage;
import dev.starling.collectives.verify.ReducerAudit;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.PeerId;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs this peer's {@link ReducerAudit} of a round over {@code /starling/audit/1.0.0} streams, one frame per stream
 * ({@link AuditCodec}), to every roster member. Phases advance when every other member has spoken or when the phase
 * time runs out: projections, then one accusation frame each (possibly empty), then reveals and receipts closed by a
 * DONE frame, then the verdict. Frames for a round not started are held (within {@link #MAX_EARLY_BYTES}); frames
 * from peers outside the roster are dropped. The sender's roster index comes from the authenticated connection.
 *
 * <p>Thread model as {@link MeshButterfly}: stream callbacks copy the frame and post it to the owner executor, which
 * runs every audit and timer.
 */
public final class MeshAudit implements AutoCloseable {
    /** The stream protocol id. */
    public static final String PROTOCOL = "/starling/audit/1.0.0";
    /** Bytes of frames held for rounds not started yet. */
    public static final long MAX_EARLY_BYTES = 64L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(MeshAudit.class);

    private final Host host;
    private final EventExecutor owner;
    private final FrameStreams streams;
    private final Map<Long, Round> rounds = new HashMap<>();
    private final Map<Long, List<Early>> early = new HashMap<>();
    private long earlyBytes;
    private long bytesSent;

    private record Early(PeerId sender, byte[] frame) {
    }

    /** Where a round stands. */
    private enum Phase { PROJECTING, ACCUSING, REVEALING, DONE }

    private final class Round {
        final long number;
        final List<PeerId> roster;
        final ReducerAudit audit;
        final AuditCodec codec;
        final long phaseMillis;
        final CompletableFuture<ReducerAudit.Outcome> done = new CompletableFuture<>();
        final Set<Integer> projected = new HashSet<>();
        final Set<Integer> accused = new HashSet<>();
        final Set<Integer> finished = new HashSet<>();
        Phase phase = Phase.PROJECTING;
        ScheduledFuture<?> timer;

        Round(long number, List<PeerId> roster, ReducerAudit audit, AuditCodec codec, long phaseMillis) {
            this.number = number;
            this.roster = roster;
            this.audit = audit;
            this.codec = codec;
            this.phaseMillis = phaseMillis;
        }
    }

    /**
     * Registers the protocol handler.
     *
     * @param host          the host
     * @param owner         the owner executor (not shut down by {@link #close})
     * @param maxFrameBytes largest frame accepted (a reveal of the largest part; see
     *                      {@link AuditCodec#maxFrameBytes()})
     */
    public MeshAudit(Host host, EventExecutor owner, int maxFrameBytes) {
        this.host = host;
        this.owner = owner;
        this.streams = new FrameStreams(host, PROTOCOL, owner, maxFrameBytes, this::receive);
    }

    /**
     * Audits a finished butterfly round. Call from any thread.
     *
     * @param round       the round
     * @param roster      the round's members in roster order (this peer included)
     * @param audit       this peer's audit, already committed ({@code commitment} is what it returned)
     * @param commitment  this peer's commitment
     * @param aggregate   the aggregate this peer's butterfly ended with
     * @param reducedFrom as reducer, the contribution of each member it reduced its part from (null where unused)
     * @param codec       the round's frame codec
     * @param phaseMillis how long each phase waits for silent members
     * @return the verdict
     */
    public CompletableFuture<ReducerAudit.Outcome> run(long round, List<PeerId> roster, ReducerAudit audit,
                                                      AuditMessage.Commitment commitment, float[] aggregate,
                                                      float[][] reducedFrom, AuditCodec codec, long phaseMillis) {
        Round r = new Round(round, List.copyOf(roster), audit, codec, phaseMillis);
        owner.execute(() -> begin(r, commitment, aggregate, reducedFrom));
        return r.done;
    }

    private void begin(Round r, AuditMessage.Commitment commitment, float[] aggregate, float[][] reducedFrom) {
        rounds.put(r.number, r);
        broadcast(r, r.codec.encode(r.number, commitment));
        try {
            broadcast(r, r.codec.encode(r.number, r.audit.project(aggregate, reducedFrom)));
        } catch (CollectivesException e) {
            r.done.completeExceptionally(e);
            return;
        }
        List<Early> held = early.remove(r.number);
        if (held != null) {
            for (Early e : held) {
                earlyBytes -= e.frame().length;
                deliver(r, e.sender(), e.frame());
            }
        }
        arm(r);
        advance(r, false);
    }

    private void arm(Round r) {
        if (r.timer != null) {
            r.timer.cancel(false);
        }
        r.timer = owner.schedule(() -> advance(r, true), r.phaseMillis, TimeUnit.MILLISECONDS);
    }

    private void receive(PeerId sender, byte[] frame) {
        long round;
        try {
            AuditCodec.kind(frame);
            round = AuditCodec.round(frame);
        } catch (CollectivesException e) {
            LOG.warn("audit: {} sent a bad frame: {}", sender, e.getMessage());
            return;
        }
        Round r = rounds.get(round);
        if (r != null) {
            deliver(r, sender, frame);
            advance(r, false);
            return;
        }
        if (earlyBytes + frame.length > MAX_EARLY_BYTES) {
            LOG.warn("audit: dropping a frame from {} for round {}: too much held", sender, round);
            return;
        }
        earlyBytes += frame.length;
        early.computeIfAbsent(round, k -> new ArrayList<>()).add(new Early(sender, frame));
    }

    private void deliver(Round r, PeerId sender, byte[] frame) {
        int index = r.roster.indexOf(sender);
        if (index < 0 || sender.equals(host.peerId()) || r.phase == Phase.DONE) {
            return;
        }
        List<AuditMessage> messages;
        try {
            messages = r.codec.decode(index, frame);
        } catch (CollectivesException e) {
            LOG.warn("audit: {} sent a bad frame in round {}: {}", sender, r.number, e.getMessage());
            return;
        }
        switch (AuditCodec.kind(frame)) {
            case PROJECT -> r.projected.add(index);
            case ACCUSE -> r.accused.add(index);
            case DONE -> r.finished.add(index);
            default -> {
                // Counted by their phase's closing frame.
            }
        }
        for (AuditMessage m : messages) {
            switch (m) {
                case AuditMessage.Commitment c -> r.audit.onCommitment(c);
                case AuditMessage.Projections p -> r.audit.onProjections(p);
                case AuditMessage.Accusation a -> r.audit.onAccusation(a);
                case AuditMessage.Reveal v -> r.audit.onReveal(v);
                case AuditMessage.Receipts v -> r.audit.onReceipts(v);
            }
        }
    }

    /** Moves through the phases as far as the frames received (or the timer) allow. */
    private void advance(Round r, boolean timedOut) {
        int others = r.roster.size() - 1;
        boolean late = timedOut;
        if (r.phase == Phase.PROJECTING && (late || r.projected.size() >= others)) {
            List<Integer> parts = r.audit.accusations().stream().map(AuditMessage.Accusation::part).toList();
            broadcast(r, r.codec.encodeAccusations(r.number, parts));
            r.phase = Phase.ACCUSING;
            late = false;
            arm(r);
        }
        if (r.phase == Phase.ACCUSING && (late || r.accused.size() >= others)) {
            for (AuditMessage m : r.audit.reveals()) {
                broadcast(r, r.codec.encode(r.number, m));
            }
            broadcast(r, r.codec.encodeDone(r.number));
            r.phase = Phase.REVEALING;
            late = false;
            arm(r);
        }
        if (r.phase == Phase.REVEALING && (late || r.finished.size() >= others)) {
            r.phase = Phase.DONE;
            r.timer.cancel(false);
            rounds.remove(r.number);
            early.keySet().removeIf(k -> k <= r.number);
            r.done.complete(r.audit.conclude());
        }
    }

    private void broadcast(Round r, byte[] frame) {
        for (PeerId to : r.roster) {
            if (to.equals(host.peerId())) {
                continue;
            }
            bytesSent += frame.length;
            streams.send(to, frame, "round " + r.number);
        }
    }

    /**
     * Bytes of audit frames this peer has sent (all recipients counted).
     *
     * @return the count; a racy but monotonic view from any thread
     */
    public long bytesSent() {
        return bytesSent;
    }

    /** Removes the protocol handler; rounds still running complete exceptionally. */
    @Override
    public void close() {
        streams.close();
        owner.execute(() -> {
            for (Round r : rounds.values()) {
                if (r.timer != null) {
                    r.timer.cancel(false);
                }
                r.done.completeExceptionally(new IllegalStateException("audit closed during round " + r.number));
            }
            rounds.clear();
            early.clear();
        });
    }
}
