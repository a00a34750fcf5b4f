package dev.starling.training.pipeline;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The tied embedding across the pipeline's two ends over p2p: stage 0 (token embedding) and stage S-1 (LM head) each
 * hold a copy of {@code wte}; before each optimizer step the two peers send each other their accumulated {@code wte}
 * gradient on {@link #PROTOCOL} and both add the other's, so both take the step the whole model would (and, with the
 * same AdamW state, keep equal copies). Message, little-endian: key (int64, the micro-batch whose backward completed
 * the step), count (int32), count float32; one per stream, capped before buffering, only from the current partner,
 * finite values only; anything else resets the stream and counts as rejected.
 *
 * <p>Threads: inbound gradients are parked by key on the streams' owner threads (a concurrent map: the only state
 * shared with the compute thread); {@link #exchange} blocks the calling (compute) thread for at most the timeout.
 */
public final class TiedEmbeddingExchange implements AutoCloseable {
    /** The protocol id. */
    public static final String PROTOCOL = "/starling/tied-wte/1.0.0";
    /** Gradients kept for keys nobody asked for yet; older ones are dropped. */
    private static final int MAX_PARKED = 16;

    private final Host host;
    private final int count;
    private final Map<Long, CompletableFuture<float[]>> parked = new ConcurrentSkipListMap<>();
    private final AtomicLong rejected = new AtomicLong();
    private volatile PeerId partner;

    /**
     * Serves the protocol on a host.
     *
     * @param host  this end's host
     * @param count floats in {@code wte}
     */
    public TiedEmbeddingExchange(Host host, int count) {
        this.host = host;
        this.count = count;
        host.setHandler(PROTOCOL, stream -> new Inbound());
    }

    /**
     * Sets the peer serving the other end (null: none; steps go alone).
     *
     * @param peer the partner
     */
    public void partner(PeerId peer) {
        this.partner = peer;
    }

    /**
     * The current partner.
     *
     * @return it, or null
     */
    public PeerId partner() {
        return partner;
    }

    private final class Inbound implements StreamHandler {
        private final LengthPrefixedFrames frames = new LengthPrefixedFrames(12 + 4 * count);

        @Override
        public void onData(Stream stream, ByteBuf data) {
            try {
                for (byte[] message : frames.offer(data)) {
                    if (!stream.remotePeer().equals(partner)) {
                        throw PipelineException.badInput(stream.remotePeer() + " is not the tied-embedding partner");
                    }
                    ByteBuffer b = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
                    long key = b.getLong();
                    if (b.getInt() != count || message.length != 12 + 4 * count) {
                        throw PipelineException.badInput("tied gradient of another size than " + count);
                    }
                    float[] g = new float[count];
                    b.asFloatBuffer().get(g);
                    for (float v : g) {
                        if (!Float.isFinite(v)) {
                            throw PipelineException.badInput("tied gradient holds " + v);
                        }
                    }
                    slot(key).complete(g);
                    while (parked.size() > MAX_PARKED) {
                        parked.remove(parked.keySet().iterator().next());
                    }
                    stream.reset(); // one message per stream; nothing more to read or write
                }
            } catch (P2pException | PipelineException e) {
                rejected.incrementAndGet();
                stream.reset();
            }
        }

        @Override
        public void onClosed(Stream stream, boolean reset) {
            frames.release();
        }
    }

    private CompletableFuture<float[]> slot(long key) {
        return parked.computeIfAbsent(key, k -> new CompletableFuture<>());
    }

    /**
     * Sends this end's gradient to the partner and waits for the partner's for the same key.
     *
     * @param key          the micro-batch that completed the step on both ends
     * @param mine         this end's {@code wte} gradient (not modified)
     * @param timeoutNanos how long to wait for the partner's
     * @return the partner's gradient, or null without a partner, on timeout or when the partner is unreachable
     */
    public float[] exchange(long key, float[] mine, long timeoutNanos) {
        PeerId to = partner;
        if (to == null) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(12 + 4 * count).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(key).putInt(count);
        b.asFloatBuffer().put(mine, 0, count);
        byte[] body = b.array();
        host.newStream(to, List.of(PROTOCOL), stream -> new StreamHandler() {
            @Override
            public void onData(Stream s, ByteBuf data) {
                data.release(); // the partner answers nothing on this stream
            }
        }).whenComplete((stream, error) -> {
            if (error == null) {
                stream.write(LengthPrefixedFrames.frame(body));
                stream.closeWrite();
            }
        });
        CompletableFuture<float[]> theirs = slot(key);
        try {
            return theirs.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            parked.remove(key);
        }
    }

    /**
     * Inbound messages refused (wrong sender, size or values).
     *
     * @return the count
     */
    public long rejected() {
        return rejected.get();
    }

    /** Stops serving the protocol. */
    @Override
    public void close() {
        host.removeHandler(PROTOCOL);
    }
}
