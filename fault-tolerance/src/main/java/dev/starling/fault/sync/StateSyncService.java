package dev.starling.fault.sync;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.multiformats.Uvarint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The {@value #PROTOCOL} protocol: every peer serves the states it holds ({@link StateSource}), and a joiner
 * {@linkplain #download downloads} one from several peers at once. One request per stream:
 *
 * <pre>
 *   request  (uvarint-framed): u8 kind (1 manifest, 2 chunk) | u64 round (0: newest) | u32 chunk index
 *   response (uvarint-framed): u8 status (0 ok, 1 not held) | body (an encoded StateManifest, or the chunk's bytes)
 * </pre>
 *
 * <p>A download first asks every source for the round's manifest and keeps the one most sources serve byte for byte
 * among those whose θ hash is the expected one (the hash the last round's group published); sources serving
 * anything else are excluded. A {@link SyncPlan} then spreads chunk requests over the agreeing sources and checks
 * every answer; the assembled θ is hashed once more at the end. Threads: the plan and its timer run on the owner
 * executor; stream callbacks post to it. Responses are capped before buffering.
 */
public final class StateSyncService implements AutoCloseable {
    /** The protocol id. */
    public static final String PROTOCOL = "/starling/state/1.0.0";
    static final int REQUEST_BYTES = 13;
    static final byte KIND_MANIFEST = 1;
    static final byte KIND_CHUNK = 2;
    static final byte STATUS_OK = 0;
    static final byte STATUS_NOT_HELD = 1;
    private static final long TICK_MILLIS = 10;

    /**
     * A finished download.
     *
     * @param image    the verified state
     * @param manifest the manifest it was checked against
     * @param nanos    how long the download took, manifests included
     * @param sources  the sources that served the agreed manifest
     * @param excluded sources excluded, with the reason
     */
    public record Download(StateImage image, StateManifest manifest, long nanos, List<String> sources,
                           Map<String, String> excluded) {
    }

    private final Host host;
    private final EventExecutor owner;
    private final LongSupplier clock;
    private final SyncPlan.Settings settings;
    private final long overallTimeoutNanos;

    /**
     * Serves {@code source} on the host and prepares downloads.
     *
     * @param host                the host
     * @param source              what this peer serves
     * @param owner               the executor that runs downloads
     * @param clock               monotonic nanoseconds
     * @param settings            pipelining and deadlines of downloads
     * @param overallTimeoutNanos a download that has not finished by then fails
     */
    public StateSyncService(Host host, StateSource source, EventExecutor owner, LongSupplier clock,
                            SyncPlan.Settings settings, long overallTimeoutNanos) {
        this.host = host;
        this.owner = owner;
        this.clock = clock;
        this.settings = settings;
        this.overallTimeoutNanos = overallTimeoutNanos;
        host.setHandler(PROTOCOL, stream -> new Server(source));
    }

    /** Answers one request per inbound stream. */
    private static final class Server implements StreamHandler {
        private final StateSource source;
        private final LengthPrefixedFrames frames = new LengthPrefixedFrames(ByteBufAllocator.DEFAULT, REQUEST_BYTES);
        private boolean answered;

        Server(StateSource source) {
            this.source = source;
        }

        @Override
        public void onData(Stream stream, ByteBuf data) {
            try {
                frames.feed(data, message -> {
                    try {
                        answer(stream, message);
                    } finally {
                        message.release();
                    }
                });
            } catch (P2pException e) {
                stream.reset();
            }
        }

        private void answer(Stream stream, ByteBuf request) {
            if (answered || request.readableBytes() != REQUEST_BYTES) {
                stream.reset();
                return;
            }
            answered = true;
            byte kind = request.readByte();
            long round = request.readLong();
            int index = request.readInt();
            byte[] body = switch (kind) {
                case KIND_MANIFEST -> source.manifest(round);
                case KIND_CHUNK -> source.chunk(round, index);
                default -> null;
            };
            int length = 1 + (body == null ? 0 : body.length);
            ByteBuf head = ByteBufAllocator.DEFAULT.buffer(Uvarint.size(length) + 1);
            Uvarint.write(head, length);
            head.writeByte(body == null ? STATUS_NOT_HELD : STATUS_OK);
            // The body is wrapped, not copied: a chunk is a megabyte, and the source copies it once already.
            stream.write(body == null ? head : Unpooled.wrappedBuffer(head, Unpooled.wrappedBuffer(body)));
            stream.closeWrite();
        }

        @Override
        public void onClosed(Stream stream, boolean reset) {
            frames.release();
        }
    }

    /**
     * Asks one peer for one thing.
     *
     * @return the body, or null when the peer does not hold it
     */
    CompletableFuture<byte[]> ask(PeerId peer, byte kind, long round, int index, int maxBody) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        host.newStream(peer, List.of(PROTOCOL), stream -> new StreamHandler() {
            private final LengthPrefixedFrames frames = new LengthPrefixedFrames(ByteBufAllocator.DEFAULT,
                    maxBody + 1);

            @Override
            public void onData(Stream s, ByteBuf data) {
                try {
                    frames.feed(data, message -> {
                        try {
                            byte status = message.readByte();
                            byte[] body = new byte[message.readableBytes()];
                            message.readBytes(body);
                            result.complete(status == STATUS_OK ? body : null);
                        } finally {
                            message.release();
                        }
                    });
                } catch (P2pException e) {
                    result.completeExceptionally(SyncException.badPeer(peer + ": " + e.getMessage()));
                }
                if (result.isDone()) {
                    s.reset();
                }
            }

            @Override
            public void onClosed(Stream s, boolean reset) {
                frames.release();
                result.completeExceptionally(new SyncException(SyncException.Category.UNAVAILABLE, peer
                        + " closed the stream before answering"));
            }
        }).whenComplete((stream, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
                return;
            }
            ByteBuf request = ByteBufAllocator.DEFAULT.buffer(REQUEST_BYTES);
            request.writeByte(kind).writeLong(round).writeInt(index);
            byte[] bytes = new byte[REQUEST_BYTES];
            request.readBytes(bytes);
            request.release();
            stream.write(LengthPrefixedFrames.encode(ByteBufAllocator.DEFAULT, bytes));
        });
        return result;
    }

    /**
     * Downloads round {@code round}'s state from {@code sources} and checks it against {@code thetaHash}.
     *
     * @param round     the round whose state to fetch
     * @param thetaHash the θ hash the round's group published (64 hex digits)
     * @param sources   peers to fetch from (connected, or dialable from earlier dials)
     * @return the verified state; fails with {@link SyncException} when no honest source could finish it
     */
    public CompletableFuture<Download> download(long round, String thetaHash, List<PeerId> sources) {
        CompletableFuture<Download> result = new CompletableFuture<>();
        long start = clock.getAsLong();
        Map<String, PeerId> byName = new LinkedHashMap<>();
        sources.forEach(p -> byName.put(p.toBase58(), p));
        Map<String, CompletableFuture<byte[]>> manifests = new LinkedHashMap<>();
        long manifestTimeout = Math.min(settings.firstTimeoutNanos(), overallTimeoutNanos);
        byName.forEach((name, peer) -> manifests.put(name, ask(peer, KIND_MANIFEST, round, 0,
                StateManifest.MAX_ENCODED_BYTES).orTimeout(manifestTimeout, TimeUnit.NANOSECONDS)));
        CompletableFuture.allOf(manifests.values().stream().map(f -> f.handle((v, e) -> null))
                .toArray(CompletableFuture[]::new)).whenComplete((v, e) -> owner.execute(() ->
                start(round, thetaHash, byName, manifests, start, result)));
        return result;
    }

    private void start(long round, String thetaHash, Map<String, PeerId> byName,
                       Map<String, CompletableFuture<byte[]>> manifests, long start,
                       CompletableFuture<Download> result) {
        Map<String, String> excluded = new LinkedHashMap<>();
        Map<StateManifest, List<String>> votes = new HashMap<>();
        manifests.forEach((name, future) -> {
            try {
                byte[] bytes = future.getNow(null);
                if (bytes == null) {
                    excluded.put(name, "does not hold round " + round);
                    return;
                }
                StateManifest m = StateManifest.decode(bytes);
                if (m.round() != round || !m.thetaHashHex().equals(thetaHash)) {
                    excluded.put(name, "serves round " + m.round() + " with θ " + m.thetaHashHex().substring(0, 12)
                            + ", not the published " + thetaHash.substring(0, Math.min(12, thetaHash.length())));
                    return;
                }
                votes.computeIfAbsent(m, k -> new ArrayList<>()).add(name);
            } catch (RuntimeException error) {
                Throwable cause = error.getCause() != null ? error.getCause() : error;
                excluded.put(name, "manifest: " + cause.getMessage());
            }
        });
        Map.Entry<StateManifest, List<String>> best = votes.entrySet().stream()
                .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size())).orElse(null);
        if (best == null) {
            result.completeExceptionally(new SyncException(SyncException.Category.UNAVAILABLE, "no source serves"
                    + " round " + round + " with the published θ hash: " + excluded));
            return;
        }
        votes.forEach((m, names) -> {
            if (m != best.getKey()) {
                names.forEach(n -> excluded.put(n, "serves a manifest the majority of sources does not"));
            }
        });
        StateManifest manifest = best.getKey();
        SyncPlan plan = new SyncPlan(manifest, settings, best.getValue());
        ScheduledFuture<?>[] timer = new ScheduledFuture<?>[1];
        timer[0] = owner.scheduleAtFixedRate(() -> tick(plan, manifest, thetaHash, byName, start, excluded, result,
                timer[0]), 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void tick(SyncPlan plan, StateManifest manifest, String thetaHash, Map<String, PeerId> byName, long start,
                      Map<String, String> excluded, CompletableFuture<Download> result, ScheduledFuture<?> timer) {
        if (result.isDone()) {
            timer.cancel(false);
            return;
        }
        long now = clock.getAsLong();
        Map<String, String> all = new LinkedHashMap<>(excluded);
        all.putAll(plan.excluded());
        switch (plan.state()) {
            case COMPLETE -> {
                timer.cancel(false);
                if (!plan.thetaHash().equals(thetaHash)) {
                    result.completeExceptionally(SyncException.badPeer("the agreed sources' chunks do not hash to"
                            + " the published θ " + thetaHash));
                } else {
                    List<String> used = new ArrayList<>(plan.bytesBySource().keySet());
                    StateImage image = StateImage.split(manifest, plan.image());
                    result.complete(new Download(image, manifest, clock.getAsLong() - start, used, all));
                }
                return;
            }
            case STALLED -> {
                timer.cancel(false);
                result.completeExceptionally(new SyncException(SyncException.Category.UNAVAILABLE, "every source"
                        + " failed after " + plan.received() + " of " + manifest.chunks() + " chunks: " + all));
                return;
            }
            case RUNNING -> {
                if (now - start > overallTimeoutNanos) {
                    timer.cancel(false);
                    result.completeExceptionally(new SyncException(SyncException.Category.UNAVAILABLE, "no state"
                            + " after " + overallTimeoutNanos / 1_000_000 + " ms (" + plan.received() + " of "
                            + manifest.chunks() + " chunks): " + all));
                    return;
                }
            }
        }
        for (SyncPlan.Request r : plan.next(now)) {
            ask(byName.get(r.source()), KIND_CHUNK, manifest.round(), r.chunk(), manifest.chunkBytes())
                    .whenComplete((bytes, error) -> owner.execute(() -> {
                        if (error != null || bytes == null) {
                            plan.onFailure(r.source(), r.chunk(), error != null ? String.valueOf(error.getMessage())
                                    : "no longer holds round " + manifest.round());
                        } else {
                            plan.onChunk(r.source(), r.chunk(), bytes, 0, bytes.length, clock.getAsLong());
                        }
                        // At once, not at the next tick: the freed slot's request is on its way a tick earlier.
                        tick(plan, manifest, thetaHash, byName, start, excluded, result, timer);
                    }));
        }
    }

    /** Stops serving the protocol. */
    @Override
    public void close() {
        host.removeHandler(PROTOCOL);
    }
}
