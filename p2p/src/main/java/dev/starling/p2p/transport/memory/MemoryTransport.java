package dev.starling.p2p.transport.memory;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.MultiaddrProtocol;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.core.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process transport for tests and simulations: addresses are {@code /memory/NAME} within one
 * {@link MemoryNetwork}; connections are authenticated by construction (each side knows the other's key)
 * and carry streams as pairs of queues, so no bytes are encrypted or framed. Protocol selection asks the
 * remote host's {@link InboundRouter} directly. Stream semantics (half-close, reset, back-pressure,
 * ordering, handler threads) match the TCP transport.
 *
 * <p>Thread-safe. Each connection end is owned by one event loop of the group given at construction; a
 * single-threaded group makes a whole simulation deterministic.
 */
public final class MemoryTransport implements Transport {
    private final MemoryNetwork network;
    private final PrivateKey identity;
    private final EventLoopGroup group;
    private final ConcurrentHashMap<String, Listener> bound = new ConcurrentHashMap<>();
    private final List<MemoryConnection> connections = new ArrayList<>();
    private static final AtomicLong DIALER_COUNTER = new AtomicLong();

    /**
     * Creates a transport.
     *
     * @param network  the shared namespace
     * @param identity our key (its public half is what remotes see)
     * @param group    event loops that own our connection ends
     */
    public MemoryTransport(MemoryNetwork network, PrivateKey identity, EventLoopGroup group) {
        this.network = network;
        this.identity = identity;
        this.group = group;
    }

    /** One bound name: who listens there. */
    record Listener(PublicKey key, InboundRouter router, EventLoopGroup group, MemoryTransport owner) {
    }

    @Override
    public boolean canDial(Multiaddr address) {
        return address.valueOf(MultiaddrProtocol.MEMORY).isPresent()
                && address.valueOf(MultiaddrProtocol.P2P_CIRCUIT).isEmpty(); // circuits go to the relay transport
    }

    @Override
    public CompletableFuture<Multiaddr> listen(Multiaddr address, InboundRouter router) {
        String name = address.valueOf(MultiaddrProtocol.MEMORY)
                .orElseThrow(() -> P2pException.protocolViolation("not a /memory address: " + address));
        Listener l = new Listener(identity.publicKey(), router, group, this);
        try {
            network.bind(name, l);
        } catch (P2pException e) {
            return CompletableFuture.failedFuture(e);
        }
        bound.put(name, l);
        return CompletableFuture.completedFuture(address.withoutPeerId());
    }

    @Override
    public CompletableFuture<Connection> dial(Multiaddr address, PeerId expectedPeer, InboundRouter router) {
        String name = address.valueOf(MultiaddrProtocol.MEMORY).orElse("");
        var remote = network.lookup(name);
        if (remote.isEmpty()) {
            return CompletableFuture.failedFuture(P2pException.closed("connection refused: " + address));
        }
        Listener l = remote.get();
        PeerId remotePeer = l.key().toPeerId();
        if (expectedPeer != null && !expectedPeer.equals(remotePeer)) {
            return CompletableFuture.failedFuture(P2pException.badPeer("dialed " + expectedPeer + " at " + address
                    + " but the key there belongs to " + remotePeer));
        }
        Multiaddr dialerAddr = Multiaddr.fromString("/memory/dialer-" + DIALER_COUNTER.incrementAndGet());
        Multiaddr listenAddr = address.withoutPeerId();
        EventExecutor ourLoop = group.next();
        EventExecutor theirLoop = l.group().next();
        MemoryConnection ours = new MemoryConnection(ourLoop, identity.publicKey(), l.key(), listenAddr, dialerAddr,
                true, router);
        MemoryConnection theirs = new MemoryConnection(theirLoop, l.key(), identity.publicKey(), dialerAddr,
                listenAddr, false, l.router());
        ours.link(theirs);
        theirs.link(ours);
        track(ours);
        l.owner().track(theirs);
        CompletableFuture<Connection> result = new CompletableFuture<>();
        theirLoop.execute(() -> {
            l.router().onConnected(theirs);
            ourLoop.execute(() -> {
                router.onConnected(ours);
                result.complete(ours);
            });
        });
        return result;
    }

    private void track(MemoryConnection c) {
        synchronized (connections) {
            connections.add(c);
        }
        c.closeFuture().thenRun(() -> {
            synchronized (connections) {
                connections.remove(c);
            }
        });
    }

    @Override
    public void close() {
        bound.forEach((name, l) -> network.unbind(name, l));
        bound.clear();
        List<MemoryConnection> copy;
        synchronized (connections) {
            copy = new ArrayList<>(connections);
        }
        copy.forEach(MemoryConnection::close);
    }
}
