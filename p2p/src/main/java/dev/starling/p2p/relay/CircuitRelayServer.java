package dev.starling.p2p.relay;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ConnectionListener;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.MultiaddrProtocol;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.relay.CircuitMessages.Hop;
import dev.starling.p2p.relay.CircuitMessages.HopType;
import dev.starling.p2p.relay.CircuitMessages.Limit;
import dev.starling.p2p.relay.CircuitMessages.Peer;
import dev.starling.p2p.relay.CircuitMessages.Reservation;
import dev.starling.p2p.relay.CircuitMessages.Status;
import dev.starling.p2p.relay.CircuitMessages.Stop;
import dev.starling.p2p.relay.CircuitMessages.StopType;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay side of circuit relay v2: serves {@code /libp2p/circuit/relay/0.2.0/hop} on a {@link Host}. RESERVE
 * grants a reservation (with a signed voucher and the relay's addresses) while caps allow; CONNECT opens a stop
 * stream to the target over its existing connection and, once the target answers OK, splices the two streams
 * ({@link CircuitSplice}) under the configured {@link Limit}. A reservation ends at expiry or when its holder
 * disconnects. Reservations are refused over relayed connections (no relay chains).
 *
 * <p><b>Thread.</b> {@link RelayResources} belongs to the {@code owner} executor; stream callbacks run on their
 * connection loops and post to it. <b>Failures.</b> Malformed or unexpected requests get a STATUS answer and the
 * stream is closed; requests that do not arrive within {@link RelayConfig#exchangeTimeout()} reset the stream.
 */
public final class CircuitRelayServer {
    private static final Logger LOG = LoggerFactory.getLogger(CircuitRelayServer.class);
    private static final StreamHandler DISCARD = (stream, data) -> data.release();

    private final Host host;
    private final RelayConfig config;
    private final EventExecutor owner;
    private final LongSupplier wallClockMillis;
    private final RelayResources resources;

    private CircuitRelayServer(Host host, RelayConfig config, EventExecutor owner, LongSupplier wallClockMillis) {
        this.host = host;
        this.config = config;
        this.owner = owner;
        this.wallClockMillis = wallClockMillis;
        this.resources = new RelayResources(config);
    }

    /**
     * Starts relaying on {@code host}.
     *
     * @param host            the host (reachable by the peers it serves)
     * @param config          caps and limits
     * @param owner           the thread that owns the bookkeeping
     * @param wallClockMillis UNIX milliseconds (reservation expiry is wall-clock time on the wire)
     * @return the server
     */
    public static CircuitRelayServer install(Host host, RelayConfig config, EventExecutor owner,
                                             LongSupplier wallClockMillis) {
        CircuitRelayServer server = new CircuitRelayServer(host, config, owner, wallClockMillis);
        host.setHandler(CircuitRelayTransport.HOP_PROTOCOL, server::onHopStream);
        host.addConnectionListener(new ConnectionListener() {
            @Override
            public void onDisconnected(Connection connection) {
                PeerId peer = connection.remotePeer();
                if (host.connection(peer).isEmpty()) {
                    try {
                        owner.execute(() -> server.resources.drop(peer));
                    } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                        // the owner has stopped: nothing left to book-keep
                    }
                }
            }
        });
        return server;
    }

    /**
     * Returns the number of reservations held, read on the owner thread.
     *
     * @return completes with the count
     */
    public java.util.concurrent.Future<Integer> reservationCount() {
        return owner.submit(resources::reservationCount);
    }

    /**
     * Returns the number of circuits open, read on the owner thread.
     *
     * @return completes with the count
     */
    public java.util.concurrent.Future<Integer> circuitCount() {
        return owner.submit(resources::circuitCount);
    }

    private StreamHandler onHopStream(Stream stream) {
        FirstMessageReader reader = new FirstMessageReader(CircuitCodec.MAX_MESSAGE_BYTES);
        var timeout = stream.executor().schedule(stream::reset, config.exchangeTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        reader.message().whenComplete((bytes, error) -> {
            timeout.cancel(false);
            if (error == null) onRequest(stream, reader, bytes);
        });
        return reader;
    }

    private void onRequest(Stream stream, FirstMessageReader reader, byte[] bytes) {
        Hop request;
        try {
            request = CircuitCodec.decodeHop(bytes);
        } catch (RelayWireException e) {
            LOG.debug("hop request from {}: {}", stream.remotePeer(), e.getMessage());
            answer(stream, reader, Hop.status(Status.MALFORMED_MESSAGE, null));
            return;
        }
        PeerId source = stream.remotePeer();
        if (isRelayed(stream.connection())) {
            answer(stream, reader, Hop.status(Status.PERMISSION_DENIED, null));
            return;
        }
        switch (request.type()) {
            case RESERVE -> owner.execute(() -> {
                long expire = resources.reserve(source, wallClockMillis.getAsLong());
                stream.executor().execute(() -> answerReserve(stream, reader, expire));
            });
            case CONNECT -> {
                if (request.peer() == null) {
                    answer(stream, reader, Hop.status(Status.MALFORMED_MESSAGE, null));
                    return;
                }
                PeerId target = request.peer().id();
                if (target.equals(source) || target.equals(host.peerId())) {
                    answer(stream, reader, Hop.status(Status.PERMISSION_DENIED, null));
                    return;
                }
                owner.execute(() -> {
                    Status status = resources.openCircuit(source, target, wallClockMillis.getAsLong());
                    stream.executor().execute(() -> {
                        if (status == Status.OK) {
                            connectTarget(stream, reader, source, target);
                        } else {
                            answer(stream, reader, Hop.status(status, null));
                        }
                    });
                });
            }
            default -> answer(stream, reader, Hop.status(Status.UNEXPECTED_MESSAGE, null));
        }
    }

    private void answerReserve(Stream stream, FirstMessageReader reader, long expire) {
        if (expire < 0) {
            answer(stream, reader, Hop.status(Status.RESERVATION_REFUSED, null));
            return;
        }
        PeerId peer = stream.remotePeer();
        List<byte[]> addrs = new ArrayList<>();
        for (Multiaddr a : publicAddresses(stream.connection())) addrs.add(a.withPeerId(host.peerId()).toBytes());
        Reservation reservation = new Reservation(expire, addrs,
                ReservationVoucher.sign(host.privateKey(), peer, expire));
        answer(stream, reader, new Hop(HopType.STATUS, null, reservation, limitOrNull(), Status.OK));
        LOG.debug("reservation for {} until {}", peer, expire);
    }

    private Set<Multiaddr> publicAddresses(Connection via) {
        Set<Multiaddr> out = new LinkedHashSet<>();
        if (dialable(via.localAddress())) out.add(via.localAddress());
        for (Multiaddr a : host.listenAddresses()) {
            if (dialable(a)) out.add(a);
        }
        return out;
    }

    private static boolean dialable(Multiaddr a) {
        String ip = a.valueOf(MultiaddrProtocol.IP4).or(() -> a.valueOf(MultiaddrProtocol.IP6)).orElse("");
        return !ip.equals("0.0.0.0") && !ip.equals("::") && a.valueOf(MultiaddrProtocol.TCP).isPresent()
                && !isCircuit(a);
    }

    private void connectTarget(Stream source, FirstMessageReader sourceReader, PeerId from, PeerId target) {
        Optional<Connection> direct = host.connections().stream()
                .filter(c -> c.remotePeer().equals(target) && !isRelayed(c)).findFirst();
        if (direct.isEmpty()) {
            owner.execute(() -> {
                resources.closeCircuit(from, target);
                resources.drop(target);
            });
            answer(source, sourceReader, Hop.status(Status.NO_RESERVATION, null));
            return;
        }
        FirstMessageReader targetReader = new FirstMessageReader(CircuitCodec.MAX_MESSAGE_BYTES);
        direct.get().newStream(List.of(CircuitRelayTransport.STOP_PROTOCOL), s -> targetReader)
                .whenComplete((stop, error) -> {
                    if (error != null) {
                        failCircuit(source, sourceReader, from, target, "cannot open stop stream: " + error);
                        return;
                    }
                    stop.write(LengthPrefixedFrames.frame(CircuitCodec.encode(
                            new Stop(StopType.CONNECT, Peer.of(from), limitOrNull(), null))));
                    var timeout = stop.executor().schedule(stop::reset, config.exchangeTimeout().toMillis(),
                            TimeUnit.MILLISECONDS);
                    targetReader.message().whenComplete((bytes, e) -> {
                        timeout.cancel(false);
                        onStopAnswer(source, sourceReader, stop, targetReader, from, target, bytes, e);
                    });
                });
    }

    private void onStopAnswer(Stream source, FirstMessageReader sourceReader, Stream stop,
                              FirstMessageReader stopReader, PeerId from, PeerId target, byte[] bytes, Throwable e) {
        Stop answer = null;
        if (e == null) {
            try {
                answer = CircuitCodec.decodeStop(bytes);
            } catch (RelayWireException ex) {
                LOG.debug("stop answer from {}: {}", target, ex.getMessage());
            }
        }
        if (answer == null || answer.type() != StopType.STATUS || answer.status() != Status.OK) {
            stop.reset();
            failCircuit(source, sourceReader, from, target, "target answered " + (answer == null ? e : answer));
            return;
        }
        source.executor().execute(() -> {
            if (source.closeFuture().isDone()) {
                stop.reset();
                owner.execute(() -> resources.closeCircuit(from, target));
                return;
            }
            source.write(LengthPrefixedFrames.frame(CircuitCodec.encode(Hop.status(Status.OK, limitOrNull()))));
            CircuitSplice.join(source, sourceReader, stop, stopReader, config.limit(),
                    () -> owner.execute(() -> resources.closeCircuit(from, target)));
            LOG.debug("relaying {} -> {}", from, target);
        });
    }

    private void failCircuit(Stream source, FirstMessageReader sourceReader, PeerId from, PeerId target,
                             String why) {
        LOG.debug("circuit {} -> {} failed: {}", from, target, why);
        owner.execute(() -> resources.closeCircuit(from, target));
        source.executor().execute(() -> answer(source, sourceReader, Hop.status(Status.CONNECTION_FAILED, null)));
    }

    /**
     * Writes one answer, half-closes, and drains whatever the peer still sends until it closes too (or resets the
     * stream after the exchange timeout, so that a silent peer does not hold it).
     */
    private void answer(Stream stream, FirstMessageReader reader, Hop message) {
        ByteBuf frame = LengthPrefixedFrames.frame(CircuitCodec.encode(message));
        stream.write(frame);
        stream.closeWrite();
        reader.switchTo(stream, DISCARD);
        var linger = stream.executor().schedule(stream::reset, config.exchangeTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        stream.closeFuture().thenRun(() -> linger.cancel(false));
    }

    private Limit limitOrNull() {
        return config.limit().unlimited() ? null : config.limit();
    }

    static boolean isRelayed(Connection c) {
        return isCircuit(c.remoteAddress());
    }

    static boolean isCircuit(Multiaddr a) {
        return a.components().stream().anyMatch(x -> x.protocol() == MultiaddrProtocol.P2P_CIRCUIT);
    }
}
