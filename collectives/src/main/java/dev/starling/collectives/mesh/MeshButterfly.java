package dev.starling.collectives.mesh;

import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.Outgoing;
import dev.starling.collectives.codec.ChunkDescriptor;
import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ConnectionListener;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.PeerId;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs this peer's {@link ButterflyMember} of each round over libp2p streams: outgoing chunks travel as
 * length-prefixed frames on one long-lived {@code /starling/butterfly/1.0.0} stream per remote peer
 * ({@link ButterflyOutbox}: no per-chunk stream negotiation, written only while the stream is writable), and every
 * received frame is handed to the member of the round named in its header, with the sender's roster
 * index taken from the authenticated connection (never from the bytes). Frames for a round this peer
 * has not started yet are held, within {@link #MAX_EARLY_BYTES}, until it starts. When the last connection to a
 * roster member closes mid-round, its member is told ({@link ButterflyMember#onPeerLost}), so the dead member's
 * part is taken over at once instead of at a deadline; the last {@link #FINISHED_KEPT} finished round stays
 * reachable so that a member done early can still relay a part to a survivor that asks for it.
 *
 * <p>Thread model: one owner executor runs every member and timer; stream callbacks copy the frame and
 * post it there. A frame over the cap given at construction closes its stream before it is buffered.
 */
public final class MeshButterfly implements AutoCloseable {
    /** The stream protocol id. */
    public static final String PROTOCOL = "/starling/butterfly/1.0.0";
    /** Bytes of frames held for rounds not started yet, across all senders. */
    public static final long MAX_EARLY_BYTES = 256L << 20;
    /** How often deadlines are checked while a round runs. */
    static final long TICK_MILLIS = 20;
    /** Finished rounds kept to answer late requests for a part (each holds its vector twice: keep few). */
    static final int FINISHED_KEPT = 1;

    private static final Logger LOG = LoggerFactory.getLogger(MeshButterfly.class);

    private final Host host;
    private final EventExecutor owner;
    private final LongSupplier clock;
    private final FrameStreams streams;
    private final int maxFrameBytes;
    private final ChunkDescriptor header = new ChunkDescriptor();
    private final ButterflyOutbox outbox;
    private final Map<Long, Round> rounds = new HashMap<>();
    private final Map<Long, List<Early>> early = new HashMap<>();
    private final Map<Long, Round> finished = new LinkedHashMap<>();
    private final ConnectionListener lost = new ConnectionListener() {
        @Override
        public void onDisconnected(Connection connection) {
            PeerId peer = connection.remotePeer();
            if (!owner.isShuttingDown()) {
                owner.execute(() -> peerLost(peer));
            }
        }
    };
    private long earlyBytes;
    private long bytesSent;
    private long bytesReceived;

    private record Early(PeerId sender, byte[] frame) {
    }

    private final class Round {
        final long number;
        final List<PeerId> roster;
        final ButterflyMember member;
        final CompletableFuture<ButterflyResult> done = new CompletableFuture<>();
        ScheduledFuture<?> ticker;

        Round(long number, List<PeerId> roster, ButterflyMember member) {
            this.number = number;
            this.roster = roster;
            this.member = member;
        }
    }

    /**
     * Registers the protocol handler on {@code host}.
     *
     * @param host          the host
     * @param owner         the owner executor (not shut down by {@link #close})
     * @param clock         monotonic nanoseconds, the clock the rounds' deadlines are on
     * @param maxFrameBytes largest chunk accepted (header included)
     */
    public MeshButterfly(Host host, EventExecutor owner, LongSupplier clock, int maxFrameBytes) {
        this.host = host;
        this.owner = owner;
        this.clock = clock;
        this.maxFrameBytes = maxFrameBytes;
        this.streams = new FrameStreams(host, PROTOCOL, owner, maxFrameBytes, this::receive);
        this.outbox = new ButterflyOutbox(host, owner, PROTOCOL);
        host.addConnectionListener(lost);
    }

    /** Owner thread: a connection closed; if it was the last one to a roster member, the member is lost. */
    private void peerLost(PeerId peer) {
        if (host.connection(peer).isPresent()) {
            return;
        }
        for (Round r : new ArrayList<>(rounds.values())) {
            int index = r.roster.indexOf(peer);
            if (index >= 0) {
                LOG.warn("butterfly: lost {} mid-round {}; its part goes to a substitute if still missing", peer,
                        r.number);
                send(r, r.member.onPeerLost(index, clock.getAsLong()));
                finishIfDone(r);
            }
        }
    }

    /**
     * Starts this peer's part of a round and completes when its member is done. Call from any thread.
     *
     * @param round  the round number (as in the member's config)
     * @param roster the round's members as peer ids, in roster order (this peer included)
     * @param member this peer's member, configured with deadlines on {@code clock}
     * @param delta  this peer's update (read before this call returns on the owner thread; do not modify until done)
     * @return the member's result
     */
    public CompletableFuture<ButterflyResult> run(long round, List<PeerId> roster, ButterflyMember member,
                                                 float[] delta) {
        Round r = new Round(round, List.copyOf(roster), member);
        owner.execute(() -> begin(r, delta));
        return r.done;
    }

    private void begin(Round r, float[] delta) {
        rounds.put(r.number, r);
        send(r, r.member.start(delta, clock.getAsLong()));
        List<Early> held = early.remove(r.number);
        if (held != null) {
            for (Early e : held) {
                earlyBytes -= e.frame().length;
                deliver(r, e.sender(), e.frame());
            }
        }
        r.ticker = owner.scheduleAtFixedRate(() -> {
            send(r, r.member.onTick(clock.getAsLong()));
            finishIfDone(r);
        }, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        finishIfDone(r);
    }

    private void receive(PeerId sender, byte[] frame) {
        bytesReceived += frame.length;
        if (frame.length < ChunkDescriptor.HEADER_LENGTH) {
            LOG.warn("butterfly: {} sent a {}-byte frame, shorter than a chunk header", sender, frame.length);
            return;
        }
        long round = header.wrap(MemorySegment.ofArray(frame), 0).round();
        Round r = rounds.containsKey(round) ? rounds.get(round) : finished.get(round);
        if (r != null) {
            deliver(r, sender, frame);
            return;
        }
        if (earlyBytes + frame.length > MAX_EARLY_BYTES) {
            LOG.warn("butterfly: dropping a frame from {} for round {}: too much held for rounds not started",
                    sender, round);
            return;
        }
        earlyBytes += frame.length;
        early.computeIfAbsent(round, k -> new ArrayList<>()).add(new Early(sender, frame));
    }

    private void deliver(Round r, PeerId sender, byte[] frame) {
        int index = r.roster.indexOf(sender);
        if (index < 0) {
            LOG.warn("butterfly: {} is not in round {}'s roster; frame ignored", sender, r.number);
            return;
        }
        send(r, r.member.onChunk(index, MemorySegment.ofArray(frame), clock.getAsLong()));
        finishIfDone(r);
    }

    private void finishIfDone(Round r) {
        if (r.member.phase() != ButterflyMember.Phase.DONE || r.done.isDone()) {
            return;
        }
        if (r.ticker != null) {
            r.ticker.cancel(false);
        }
        rounds.remove(r.number);
        finished.put(r.number, r);
        if (finished.size() > FINISHED_KEPT) {
            finished.remove(finished.keySet().iterator().next());
        }
        early.keySet().removeIf(k -> k <= r.number);
        r.done.complete(r.member.result());
    }

    private void send(Round r, List<Outgoing> outgoing) {
        for (Outgoing out : outgoing) {
            PeerId to = r.roster.get(out.to());
            byte[] bytes = out.chunk().toArray(ValueLayout.JAVA_BYTE);
            if (to.equals(host.peerId())) {
                deliver(r, to, bytes);
                continue;
            }
            bytesSent += bytes.length;
            outbox.send(to, bytes, r.number);
        }
    }

    /**
     * Bytes of chunk frames this peer has sent so far (payloads as written, not counting muxer framing).
     *
     * @return the count; read from any thread (a racy but monotonic view)
     */
    public long bytesSent() {
        return bytesSent;
    }

    /**
     * Bytes of chunk frames received so far.
     *
     * @return the count
     */
    public long bytesReceived() {
        return bytesReceived;
    }

    /** Removes the protocol handler; rounds still running never complete. */
    @Override
    public void close() {
        host.removeConnectionListener(lost);
        streams.close();
        owner.execute(() -> {
            for (Round r : rounds.values()) {
                if (r.ticker != null) {
                    r.ticker.cancel(false);
                }
                r.done.completeExceptionally(new IllegalStateException("butterfly closed during round " + r.number));
            }
            rounds.clear();
            finished.clear();
            early.clear();
            outbox.close();
        });
    }
}
