package dev.starling.collectives.mesh;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One long-lived outbound stream per remote peer for butterfly frames, so that a round pays no stream
 * negotiation (a round trip per stream) and chunks flow back to back. Frames wait in a lane's queue and are
 * written only while the stream is writable, so back-pressure from the yamux window and the connection reaches
 * here instead of piling up in the muxer; receivers read any number of length-prefixed frames per stream.
 *
 * <p>Threads: {@link #send} and {@link #close} run on the butterfly's owner thread, which owns the lane map and
 * opens streams; each lane's writing runs on its stream's event loop. The queue between the two is concurrent.
 * A lane whose stream fails or closes is dropped with its queued frames (logged) and reopened by the next send.
 */
final class ButterflyOutbox {
    private static final Logger LOG = LoggerFactory.getLogger(ButterflyOutbox.class);

    /** Tries to open a lane's stream (the connection may still be dialing when a round starts). */
    static final int MAX_OPEN_ATTEMPTS = 40;
    /** Wait before the first retry; doubles up to {@link #MAX_RETRY_MILLIS}. */
    static final long FIRST_RETRY_MILLIS = 50;
    static final long MAX_RETRY_MILLIS = 1000;

    private final Host host;
    private final EventExecutor owner;
    private final String protocol;
    private final Map<PeerId, Lane> lanes = new HashMap<>();

    /** One peer's stream and the frames waiting for it. */
    private final class Lane implements StreamHandler {
        final PeerId peer;
        final ConcurrentLinkedQueue<byte[]> frames = new ConcurrentLinkedQueue<>();
        volatile Stream stream;
        volatile boolean dead;

        Lane(PeerId peer) {
            this.peer = peer;
        }

        /** On the stream's event loop: writes queued frames while the stream takes them. */
        void drain() {
            Stream s = stream;
            byte[] frame;
            while (!dead && s.isWritable() && (frame = frames.poll()) != null) {
                ByteBuf encoded = LengthPrefixedFrames.encode(ByteBufAllocator.DEFAULT, frame);
                if (s.write(encoded) != Stream.WriteResult.ACCEPTED) {
                    fail("stream refused a frame");
                    return;
                }
            }
        }

        void fail(String why) {
            if (dead) return;
            dead = true;
            int lost = frames.size();
            frames.clear();
            if (lost > 0) LOG.warn("butterfly: stream to {} ended ({}); {} frames not sent", peer, why, lost);
        }

        @Override
        public void onData(Stream s, ByteBuf data) {
            data.release(); // receivers never answer on this protocol
        }

        @Override
        public void onWritabilityChanged(Stream s) {
            drain();
        }

        @Override
        public void onClosed(Stream s, boolean reset) {
            fail(reset ? "reset" : "closed");
        }
    }

    ButterflyOutbox(Host host, EventExecutor owner, String protocol) {
        this.host = host;
        this.owner = owner;
        this.protocol = protocol;
    }

    /**
     * Queues one frame for {@code to}, opening the lane's stream if there is none. Owner thread.
     *
     * @param to    the remote peer
     * @param frame the frame's bytes (without length prefix), not modified afterwards
     * @param round the round, for log lines
     */
    void send(PeerId to, byte[] frame, long round) {
        Lane lane = lanes.get(to);
        if (lane == null || lane.dead) {
            Lane fresh = new Lane(to);
            lanes.put(to, fresh);
            fresh.frames.add(frame);
            open(fresh, round, 1);
            return;
        }
        lane.frames.add(frame);
        Stream s = lane.stream;
        if (s != null) onLoop(lane, s, lane::drain);
    }

    /** Owner thread: opens the lane's stream, retrying with back-off while the peer is not connected yet. */
    private void open(Lane lane, long round, int attempt) {
        host.newStream(lane.peer, List.of(protocol), s -> lane).whenComplete((stream, error) -> {
            if (error == null) {
                lane.stream = stream;
                onLoop(lane, stream, lane::drain);
                return;
            }
            if (attempt < MAX_OPEN_ATTEMPTS && !owner.isShuttingDown()) {
                long wait = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(attempt - 1, 10));
                owner.schedule(() -> open(lane, round, attempt + 1), wait, TimeUnit.MILLISECONDS);
                return;
            }
            LOG.warn("butterfly: cannot open a stream to {} in round {} after {} tries: {}", lane.peer, round,
                    attempt, error.getMessage());
            owner.execute(() -> {
                lane.fail("open failed");
                lanes.remove(lane.peer, lane);
            });
        });
    }

    /** Runs {@code task} on the stream's event loop; a loop already shut down means the connection is gone. */
    private static void onLoop(Lane lane, Stream stream, Runnable task) {
        try {
            stream.executor().execute(task);
        } catch (RejectedExecutionException e) {
            lane.fail("connection closed");
        }
    }

    /** Closes every lane's write side once its queue is written. Owner thread. */
    void close() {
        for (Lane lane : new ArrayList<>(lanes.values())) {
            Stream s = lane.stream;
            if (s != null) {
                onLoop(lane, s, () -> {
                    lane.drain();
                    s.closeWrite();
                });
            }
        }
        lanes.clear();
    }
}
