package dev.starling.p2p.relay;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ConnectionLimits;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.MultiaddrProtocol;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.core.Transport;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.mux.yamux.YamuxSession;
import dev.starling.p2p.relay.CircuitMessages.Hop;
import dev.starling.p2p.relay.CircuitMessages.HopType;
import dev.starling.p2p.relay.CircuitMessages.Limit;
import dev.starling.p2p.relay.CircuitMessages.Peer;
import dev.starling.p2p.relay.CircuitMessages.Status;
import dev.starling.p2p.relay.CircuitMessages.Stop;
import dev.starling.p2p.relay.CircuitMessages.StopType;
import dev.starling.p2p.transport.tcp.ChannelUpgrade;
import dev.starling.p2p.transport.tcp.MultiaddrSocketAddress;
import io.netty.channel.EventLoopGroup;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of circuit relay v2 as a {@link Transport}: dials {@code /…/p2p/RELAY/p2p-circuit/p2p/TARGET}
 * (hop CONNECT, then Noise and yamux over the relayed stream, the relayed peer's key checked as for any dial), and
 * "listens" on {@code /…/p2p/RELAY/p2p-circuit} by keeping a reservation on that relay ({@link RelayReservation})
 * and accepting stop streams from it. Install it with {@link #install(HostBuilder)}.
 *
 * <p><b>Thread.</b> Thread-safe; stream work runs on connection loops, reservation timers on one loop of the host's
 * group. <b>Caps.</b> At most {@link #MAX_INBOUND_CIRCUITS} relayed connections accepted at once; stop requests only
 * from relays we hold a reservation on; one relay hop (no relayed connection to a relay).
 */
public final class CircuitRelayTransport implements Transport {
    /** The hop protocol id. */
    public static final String HOP_PROTOCOL = "/libp2p/circuit/relay/0.2.0/hop";
    /** The stop protocol id. */
    public static final String STOP_PROTOCOL = "/libp2p/circuit/relay/0.2.0/stop";
    /** Most inbound relayed connections open at once. */
    public static final int MAX_INBOUND_CIRCUITS = 64;
    /** How long a hop or stop exchange may take. */
    static final long EXCHANGE_TIMEOUT_MS = 30_000;
    private static final Logger LOG = LoggerFactory.getLogger(CircuitRelayTransport.class);

    private final PrivateKey identity;
    private final EventLoopGroup loops;
    private final ConcurrentHashMap<PeerId, RelayReservation> reservations = new ConcurrentHashMap<>();
    private final AtomicInteger inboundCircuits = new AtomicInteger();
    private volatile Host host;
    private volatile InboundRouter router;
    private volatile boolean closed;

    /**
     * Creates the transport; {@link #attach(Host)} must follow before use.
     *
     * @param identity our key
     * @param loops    event loops for timers
     */
    public CircuitRelayTransport(PrivateKey identity, EventLoopGroup loops) {
        this.identity = identity;
        this.loops = loops;
    }

    /**
     * Adds circuit relay dialing and listening to a host being built.
     *
     * @param builder the builder (it needs another transport, such as TCP, to reach relays)
     * @return the builder
     */
    public static HostBuilder install(HostBuilder builder) {
        CircuitRelayTransport[] made = new CircuitRelayTransport[1];
        builder.transport((key, loops) -> made[0] = new CircuitRelayTransport(key, loops));
        builder.service(h -> made[0].attach(h));
        return builder;
    }

    /**
     * Binds the transport to its host and serves the stop protocol there.
     *
     * @param owner the host this transport belongs to
     */
    public void attach(Host owner) {
        this.host = owner;
        if (owner instanceof InboundRouter r) router = r;
        owner.setHandler(STOP_PROTOCOL, this::onStopStream);
    }

    @Override
    public boolean canDial(Multiaddr address) {
        return CircuitRelayServer.isCircuit(address);
    }

    // ---- dialing through a relay ----

    @Override
    public CompletableFuture<Connection> dial(Multiaddr address, PeerId expectedPeer, InboundRouter inbound) {
        Host h = host;
        List<Multiaddr.Component> parts = address.components();
        int circuit = circuitIndex(parts);
        if (h == null || closed) return CompletableFuture.failedFuture(P2pException.closed("relay transport closed"));
        if (circuit < 0 || expectedPeer == null || parts.size() != circuit + 2
                || parts.get(circuit + 1).protocol() != MultiaddrProtocol.P2P) {
            return CompletableFuture.failedFuture(P2pException.internal("not a circuit address ending in /p2p/ID: "
                    + address, null));
        }
        Multiaddr relayAddress = new Multiaddr(parts.subList(0, circuit));
        if (relayAddress.peerId().isEmpty() || relayAddress.peerId().get().equals(expectedPeer)) {
            return CompletableFuture.failedFuture(P2pException.internal("circuit address needs /p2p/RELAY before "
                    + "/p2p-circuit: " + address, null));
        }
        Multiaddr localAddress = circuitAddress(relayAddress, h.peerId());
        return h.dial(relayAddress).thenCompose(relayConnection -> {
            if (CircuitRelayServer.isRelayed(relayConnection)) {
                throw P2pException.internal("not relaying over a relayed connection to " + relayAddress, null);
            }
            FirstMessageReader reader = new FirstMessageReader(CircuitCodec.MAX_MESSAGE_BYTES);
            return relayConnection.newStream(List.of(HOP_PROTOCOL), s -> reader).thenCompose(stream -> {
                stream.write(LengthPrefixedFrames.frame(CircuitCodec.encode(
                        new Hop(HopType.CONNECT, Peer.of(expectedPeer), null, null, null))));
                var timeout = stream.executor().schedule(stream::reset, EXCHANGE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                return reader.message().thenCompose(bytes -> {
                    timeout.cancel(false);
                    Hop answer;
                    try {
                        answer = CircuitCodec.decodeHop(bytes);
                    } catch (RelayWireException e) {
                        stream.reset();
                        throw e;
                    }
                    if (answer.type() != HopType.STATUS || answer.status() != Status.OK) {
                        stream.reset();
                        throw P2pException.closed("relay " + relayAddress.peerId().get() + " refused the circuit to "
                                + expectedPeer + ": " + answer.status());
                    }
                    return upgrade(stream, reader, true, expectedPeer, inbound, localAddress, address,
                            answer.limit());
                });
            });
        });
    }

    /**
     * Runs Noise and yamux over the relayed stream. A relay that announced a limit makes the connection limited
     * (relay/circuit-v2.md): only protocols that opt in run on it, and we end it ourselves at the limit.
     */
    private CompletableFuture<Connection> upgrade(Stream stream, FirstMessageReader reader, boolean initiator,
                                                  PeerId expected, InboundRouter inbound, Multiaddr local,
                                                  Multiaddr remote, Limit limit) {
        StreamChannel channel = new StreamChannel(stream, new MultiaddrSocketAddress(local),
                new MultiaddrSocketAddress(remote));
        ConnectionLimits limits = limit == null || limit.unlimited() ? null
                : new ConnectionLimits(limit.durationSeconds(), limit.dataBytes());
        if (limits != null) {
            channel.attr(YamuxSession.LIMITS).set(limits);
            channel.limitData(limits.dataBytes());
        }
        CompletableFuture<Connection> result = ChannelUpgrade.install(channel, initiator, identity, expected, inbound);
        channel.register();
        reader.switchTo(stream, channel.streamHandler());
        if (limits != null && limits.durationSeconds() > 0) {
            result.thenAccept(c -> {
                var expiry = c.executor().schedule(c::close, limits.durationSeconds(), TimeUnit.SECONDS);
                c.closeFuture().thenRun(() -> expiry.cancel(false));
            });
        }
        return result;
    }

    // ---- listening = holding a reservation ----

    @Override
    public CompletableFuture<Multiaddr> listen(Multiaddr address, InboundRouter inbound) {
        Host h = host;
        List<Multiaddr.Component> parts = address.components();
        int circuit = circuitIndex(parts);
        if (h == null || closed) return CompletableFuture.failedFuture(P2pException.closed("relay transport closed"));
        if (circuit < 0 || circuit != parts.size() - 1) {
            return CompletableFuture.failedFuture(P2pException.internal("listen on a relay as /…/p2p/RELAY/p2p-circuit,"
                    + " got " + address, null));
        }
        Multiaddr relayAddress = new Multiaddr(parts.subList(0, circuit));
        if (relayAddress.peerId().isEmpty()) {
            return CompletableFuture.failedFuture(P2pException.internal("relay address needs /p2p/RELAY: " + address,
                    null));
        }
        this.router = inbound;
        PeerId relay = relayAddress.peerId().get();
        RelayReservation reservation = new RelayReservation(h, relayAddress, loops.next(), System::currentTimeMillis);
        RelayReservation old = reservations.put(relay, reservation);
        if (old != null) old.cancel();
        return reservation.start().whenComplete((r, error) -> {
            if (error != null) reservations.remove(relay, reservation);
        }).thenApply(r -> address);
    }

    /**
     * Returns the reservation held on a relay, if we listen through it.
     *
     * @param relay the relay
     * @return the reservation keeper, or null
     */
    public RelayReservation reservation(PeerId relay) {
        return reservations.get(relay);
    }

    // ---- accepting relayed connections ----

    private StreamHandler onStopStream(Stream stream) {
        FirstMessageReader reader = new FirstMessageReader(CircuitCodec.MAX_MESSAGE_BYTES);
        var timeout = stream.executor().schedule(stream::reset, EXCHANGE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        reader.message().whenComplete((bytes, error) -> {
            timeout.cancel(false);
            if (error == null) onStopRequest(stream, reader, bytes);
        });
        return reader;
    }

    private void onStopRequest(Stream stream, FirstMessageReader reader, byte[] bytes) {
        Stop request;
        try {
            request = CircuitCodec.decodeStop(bytes);
        } catch (RelayWireException e) {
            refuse(stream, reader, Status.MALFORMED_MESSAGE);
            return;
        }
        PeerId relay = stream.remotePeer();
        InboundRouter inbound = router;
        if (request.type() != StopType.CONNECT) {
            refuse(stream, reader, Status.UNEXPECTED_MESSAGE);
        } else if (request.peer() == null) {
            refuse(stream, reader, Status.MALFORMED_MESSAGE);
        } else if (closed || inbound == null || !reservations.containsKey(relay)) {
            refuse(stream, reader, Status.PERMISSION_DENIED);
        } else if (inboundCircuits.incrementAndGet() > MAX_INBOUND_CIRCUITS) {
            inboundCircuits.decrementAndGet();
            refuse(stream, reader, Status.RESOURCE_LIMIT_EXCEEDED);
        } else {
            PeerId source = request.peer().id();
            stream.write(LengthPrefixedFrames.frame(CircuitCodec.encode(Stop.status(Status.OK))));
            Multiaddr relayAddress = stream.connection().remoteAddress().withPeerId(relay);
            upgrade(stream, reader, false, null, inbound, circuitAddress(relayAddress, host.peerId()),
                    circuitAddress(relayAddress, source), request.limit()).whenComplete((connection, error) -> {
                        if (error != null) {
                            inboundCircuits.decrementAndGet();
                            LOG.debug("relayed connection from {} via {} failed: {}", source, relay, error.toString());
                            return;
                        }
                        connection.closeFuture().thenRun(inboundCircuits::decrementAndGet);
                        if (!connection.remotePeer().equals(source)) {
                            LOG.info("relayed connection via {} announced {} but proved {}: closing", relay, source,
                                    connection.remotePeer());
                            connection.close();
                        }
                    });
        }
    }

    private static void refuse(Stream stream, FirstMessageReader reader, Status status) {
        stream.write(LengthPrefixedFrames.frame(CircuitCodec.encode(Stop.status(status))));
        stream.closeWrite();
        reader.switchTo(stream, (s, data) -> data.release());
    }

    private static int circuitIndex(List<Multiaddr.Component> parts) {
        int found = -1;
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).protocol() == MultiaddrProtocol.P2P_CIRCUIT) {
                if (found >= 0) return -1; // more than one hop: not supported
                found = i;
            }
        }
        return found;
    }

    private static Multiaddr circuitAddress(Multiaddr relayAddress, PeerId peer) {
        List<Multiaddr.Component> parts = new java.util.ArrayList<>(relayAddress.components());
        parts.add(new Multiaddr.Component(MultiaddrProtocol.P2P_CIRCUIT, new byte[0]));
        return new Multiaddr(parts).withPeerId(peer);
    }

    @Override
    public void close() {
        closed = true;
        reservations.values().forEach(RelayReservation::cancel);
        reservations.clear();
    }
}
