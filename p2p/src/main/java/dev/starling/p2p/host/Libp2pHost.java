package dev.starling.p2p.host;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ConnectionListener;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.MultiaddrProtocol;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.ProtocolHandler;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.Transport;
import io.netty.channel.EventLoopGroup;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Host} implementation: routes inbound streams to registered handlers, keeps the open connections
 * and the addresses of peers it dialed, and tells listeners about connections.
 *
 * <p><b>Thread.</b> The host is called from any thread and from connection loops, so its registries are
 * concurrent maps (they hold no protocol state: every protocol state machine lives on a connection loop).
 * Listener callbacks run on the connection's loop.
 */
public final class Libp2pHost implements Host, InboundRouter {
    private static final Logger LOG = LoggerFactory.getLogger(Libp2pHost.class);
    /** Longest protocol id (as js-libp2p). */
    public static final int MAX_PROTOCOL_ID_BYTES = 1024;
    /** Most dials in flight at once; more fail at once instead of piling up sockets. */
    public static final int MAX_PENDING_DIALS = 64;

    private final PrivateKey identity;
    private final PeerId peerId;
    private final List<Transport> transports;
    private final EventLoopGroup ownedGroup;
    private final ConcurrentHashMap<String, ProtocolHandler> handlers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<PeerId, List<Connection>> connections = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<PeerId, Multiaddr> knownAddresses = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<ConnectionListener> listeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Multiaddr> listenAddresses = new CopyOnWriteArrayList<>();
    private final AtomicInteger pendingDials = new AtomicInteger();
    private volatile boolean closed;

    private final DialBackoff backoff;
    private final java.util.function.LongSupplier clock;
    private final int maxConnections;

    Libp2pHost(PrivateKey identity, List<Transport> transports, EventLoopGroup ownedGroup, DialBackoff backoff,
               java.util.function.LongSupplier clock, int maxConnections) {
        this.backoff = backoff;
        this.clock = clock;
        this.maxConnections = maxConnections;
        this.identity = identity;
        this.peerId = identity.publicKey().toPeerId();
        this.transports = List.copyOf(transports);
        this.ownedGroup = ownedGroup;
    }

    @Override
    public PeerId peerId() {
        return peerId;
    }

    @Override
    public PrivateKey privateKey() {
        return identity;
    }

    @Override
    public CompletableFuture<Multiaddr> listen(Multiaddr address) {
        for (Transport t : transports) {
            if (t.canDial(address)) {
                return t.listen(address, this).thenApply(bound -> {
                    listenAddresses.add(bound);
                    return bound;
                });
            }
        }
        return CompletableFuture.failedFuture(P2pException.internal("no transport can listen on " + address, null));
    }

    @Override
    public List<Multiaddr> listenAddresses() {
        return List.copyOf(listenAddresses);
    }

    @Override
    public CompletableFuture<Connection> dial(Multiaddr address) {
        if (closed) return CompletableFuture.failedFuture(P2pException.closed("host is closed"));
        PeerId expected = address.peerId().orElse(null);
        if (expected != null) {
            if (expected.equals(peerId)) {
                return CompletableFuture.failedFuture(P2pException.internal("dial to self", null));
            }
            Optional<Connection> existing = connection(expected);
            // A limited (relayed) connection does not stop us from dialing a direct address of the same peer.
            if (existing.isPresent() && (existing.get().limits().isEmpty() || isCircuit(address))) {
                return CompletableFuture.completedFuture(existing.get());
            }
            long wait;
            synchronized (backoff) {
                wait = backoff.waitNanos(expected, clock.getAsLong());
            }
            if (wait > 0) {
                return CompletableFuture.failedFuture(P2pException.closed("backing off from " + expected + " for "
                        + wait / 1_000_000 + " ms after failed dials"));
            }
        }
        for (Transport t : transports) {
            if (t.canDial(address)) {
                if (pendingDials.incrementAndGet() > MAX_PENDING_DIALS) {
                    pendingDials.decrementAndGet();
                    return CompletableFuture.failedFuture(P2pException.internal("more than " + MAX_PENDING_DIALS
                            + " dials pending; not dialing " + address, null));
                }
                return t.dial(address, expected, this).whenComplete((c, e) -> {
                    pendingDials.decrementAndGet();
                    if (expected != null) recordDial(expected, e == null);
                })
                        .thenApply(c -> {
                            knownAddresses.put(c.remotePeer(), address.withoutPeerId());
                            return c;
                        });
            }
        }
        return CompletableFuture.failedFuture(P2pException.internal("no transport can dial " + address, null));
    }

    private static boolean isCircuit(Multiaddr address) {
        return address.components().stream().anyMatch(c -> c.protocol() == MultiaddrProtocol.P2P_CIRCUIT);
    }

    private void recordDial(PeerId peer, boolean ok) {
        synchronized (backoff) {
            if (ok) {
                backoff.onSuccess(peer);
            } else {
                backoff.onFailure(peer, clock.getAsLong());
            }
        }
    }

    @Override
    public CompletableFuture<Stream> newStream(PeerId peer, List<String> protocols, ProtocolHandler handler) {
        Optional<Connection> c = connection(peer);
        if (c.isPresent()) return c.get().newStream(protocols, handler);
        Multiaddr known = knownAddresses.get(peer);
        if (known == null) return CompletableFuture.failedFuture(P2pException.closed("not connected to " + peer));
        return dial(known.withPeerId(peer)).thenCompose(conn -> conn.newStream(protocols, handler));
    }

    @Override
    public void setHandler(String protocolId, ProtocolHandler handler) {
        if (protocolId.isEmpty() || protocolId.getBytes(StandardCharsets.UTF_8).length > MAX_PROTOCOL_ID_BYTES
                || protocolId.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("bad protocol id '" + protocolId + "'");
        }
        handlers.put(protocolId, handler);
    }

    @Override
    public void removeHandler(String protocolId) {
        handlers.remove(protocolId);
    }

    @Override
    public List<String> protocols() {
        return List.copyOf(handlers.keySet());
    }

    @Override
    public void addConnectionListener(ConnectionListener listener) {
        listeners.add(listener);
        for (Connection c : connections()) c.executor().execute(() -> safe(() -> listener.onConnected(c)));
    }

    @Override
    public void removeConnectionListener(ConnectionListener listener) {
        listeners.remove(listener);
    }

    @Override
    public List<Connection> connections() {
        List<Connection> all = new ArrayList<>();
        connections.values().forEach(list -> {
            synchronized (list) {
                all.addAll(list);
            }
        });
        return all;
    }

    @Override
    public Optional<Connection> connection(PeerId peer) {
        List<Connection> list = connections.get(peer);
        if (list == null) return Optional.empty();
        synchronized (list) {
            for (Connection c : list) {
                if (c.limits().isEmpty()) return Optional.of(c); // a direct (unlimited) connection first
            }
            return list.isEmpty() ? Optional.empty() : Optional.of(list.getFirst());
        }
    }

    private int connectionCount() {
        int n = 0;
        for (List<Connection> list : connections.values()) {
            synchronized (list) {
                n += list.size();
            }
        }
        return n;
    }

    // ---- InboundRouter: called by transports on connection loops ----

    @Override
    public Optional<ProtocolHandler> handler(String protocolId) {
        return Optional.ofNullable(handlers.get(protocolId));
    }

    @Override
    public Set<String> supportedProtocols() {
        return Set.copyOf(handlers.keySet());
    }

    @Override
    public void onConnected(Connection connection) {
        if (closed) {
            connection.close();
            return;
        }
        if (!connection.isInitiator() && connectionCount() >= maxConnections) {
            LOG.info("refusing inbound connection from {}: {} connections open", connection.remotePeer(),
                    maxConnections);
            connection.close();
            return;
        }
        List<Connection> list = connections.computeIfAbsent(connection.remotePeer(), k -> new ArrayList<>());
        synchronized (list) {
            list.add(connection);
        }
        for (ConnectionListener l : listeners) safe(() -> l.onConnected(connection));
    }

    @Override
    public void onDisconnected(Connection connection) {
        List<Connection> list = connections.get(connection.remotePeer());
        if (list != null) {
            synchronized (list) {
                list.remove(connection);
                if (list.isEmpty()) connections.remove(connection.remotePeer(), list);
            }
        }
        for (ConnectionListener l : listeners) safe(() -> l.onDisconnected(connection));
    }

    private static void safe(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("connection listener failed: {}", e.toString());
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Transport t : transports) t.close();
        for (Connection c : connections()) c.close();
        if (ownedGroup != null) ownedGroup.shutdownGracefully(0, 200, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public String toString() {
        return "Host[" + peerId + "]";
    }
}
