package dev.starling.p2p.transport.memory;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.ProtocolHandler;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.emulation.DelayLine;
import dev.starling.p2p.emulation.LinkDirection;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * One end of an in-memory connection. State belongs to {@link #executor()}; the other end is reached only by
 * posting tasks to its executor.
 */
final class MemoryConnection implements Connection {
    /** Most streams open at once on one connection (as js-yamux). */
    static final int MAX_STREAMS = 1024;

    private final EventExecutor executor;
    private final PublicKey localKey;
    private final PublicKey remoteKey;
    private final Multiaddr remoteAddress;
    private final Multiaddr localAddress;
    private final boolean initiator;
    private final InboundRouter router;
    private final Map<Long, MemoryStream> streams = new HashMap<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private MemoryConnection peer;
    /** What this end sends passes an emulated link when set (see {@link #shape}); null means at once. */
    private LinkDirection link;
    private DelayLine<Runnable> line;
    private long nextStreamId;
    private boolean closed;

    MemoryConnection(EventExecutor executor, PublicKey localKey, PublicKey remoteKey, Multiaddr remoteAddress,
                     Multiaddr localAddress, boolean initiator, InboundRouter router) {
        this.executor = executor;
        this.localKey = localKey;
        this.remoteKey = remoteKey;
        this.remoteAddress = remoteAddress;
        this.localAddress = localAddress;
        this.initiator = initiator;
        this.router = router;
        this.nextStreamId = initiator ? 1 : 2;
    }

    void link(MemoryConnection other) {
        this.peer = other;
    }

    /** Sends everything this end posts through an emulated link (before the connection is used). */
    void shape(LinkDirection direction) {
        this.link = direction;
        this.line = new DelayLine<>(executor, Runnable::run, () -> { });
    }

    /** Runs {@code task} on the other end's loop; false if that loop is gone. */
    boolean post(Runnable task) {
        return post(task, 0, null);
    }

    /**
     * Runs {@code task} on the other end's loop once the emulated link (if any) has carried {@code bytes}; called
     * on our loop. Returns false if the other loop is gone now; {@code onDropped} (may be null) runs if it turns
     * out to be gone when a delayed task arrives.
     */
    boolean post(Runnable task, long bytes, Runnable onDropped) {
        if (link == null) return postNow(task);
        line.offer(() -> {
            if (!postNow(task) && onDropped != null) onDropped.run();
        }, link.admit(bytes, line.now()));
        return true;
    }

    private boolean postNow(Runnable task) {
        try {
            peer.executor.execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    @Override
    public PeerId remotePeer() {
        return remoteKey.toPeerId();
    }

    @Override
    public PublicKey remotePublicKey() {
        return remoteKey;
    }

    @Override
    public Multiaddr remoteAddress() {
        return remoteAddress;
    }

    @Override
    public Multiaddr localAddress() {
        return localAddress;
    }

    @Override
    public boolean isInitiator() {
        return initiator;
    }

    @Override
    public EventExecutor executor() {
        return executor;
    }

    @Override
    public int streamCount() {
        return streams.size();
    }

    @Override
    public CompletableFuture<Stream> newStream(List<String> protocols, ProtocolHandler handler) {
        CompletableFuture<Stream> result = new CompletableFuture<>();
        List<String> wanted = List.copyOf(protocols);
        executor.execute(() -> {
            if (closed) {
                result.completeExceptionally(P2pException.closed("connection to " + remotePeer() + " is closed"));
                return;
            }
            if (streams.size() >= MAX_STREAMS) {
                result.completeExceptionally(P2pException.internal("stream limit " + MAX_STREAMS + " reached", null));
                return;
            }
            long id = nextStreamId;
            nextStreamId += 2;
            MemoryStream ours = new MemoryStream(executor, this, true, id);
            streams.put(id, ours);
            boolean posted = post(() -> peer.acceptStream(ours, wanted, result, handler));
            if (!posted) {
                streams.remove(id);
                result.completeExceptionally(P2pException.closed("remote host is gone"));
            }
        });
        return result;
    }

    /** On our loop: the remote opened {@code theirs} and proposes {@code protocols}. */
    private void acceptStream(MemoryStream theirs, List<String> protocols, CompletableFuture<Stream> result,
                              ProtocolHandler theirHandler) {
        String chosen = null;
        ProtocolHandler ours = null;
        if (!closed && streams.size() < MAX_STREAMS) {
            for (String p : protocols) {
                Optional<ProtocolHandler> h = router.handler(p);
                if (h.isPresent()) {
                    chosen = p;
                    ours = h.get();
                    break;
                }
            }
        }
        if (chosen == null) {
            String why = closed ? "connection closed" : "remote supports none of " + protocols;
            post(() -> peer.abandon(theirs, result, why));
            return;
        }
        MemoryStream mine = new MemoryStream(executor, this, false, theirs.id());
        mine.link(theirs);
        streams.put(theirs.id(), mine);
        String protocol = chosen;
        mine.attach(protocol, ours);
        post(() -> {
            theirs.link(mine);
            theirs.attach(protocol, theirHandler);
            result.complete(theirs);
        });
    }

    private void abandon(MemoryStream ours, CompletableFuture<Stream> result, String why) {
        streams.remove(ours.id());
        result.completeExceptionally(P2pException.protocolViolation(why));
    }

    void forget(long id) {
        streams.remove(id);
    }

    @Override
    public void close() {
        if (!executor.inEventLoop()) {
            executor.execute(this::close);
            return;
        }
        if (closed) return;
        shutdown();
        post(peer::shutdown);
    }

    private void shutdown() {
        if (closed) return;
        closed = true;
        for (MemoryStream s : new ArrayList<>(streams.values())) s.receiveReset();
        streams.clear();
        router.onDisconnected(this);
        closeFuture.complete(null);
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    @Override
    public String toString() {
        return "MemoryConnection[" + localKey.toPeerId() + " -> " + remotePeer() + "]";
    }
}
