package dev.starling.p2p.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ConnectionLimits;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.ProtocolHandler;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.identify.IdentifyInfo;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.protocol.ping.PingService;
import dev.starling.p2p.relay.CircuitMessages.Limit;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Circuit relay v2 between Java hosts in one JVM: over TCP loopback and over the in-memory transport. */
class CircuitRelayTest {
    private static final String ECHO = "/starling/test/echo/1.0.0";
    /** Like ECHO but does not opt in to limited connections. */
    private static final String PLAIN_ECHO = "/starling/test/plain-echo/1.0.0";
    private final java.util.ArrayList<AutoCloseable> closeLater = new java.util.ArrayList<>();
    private EventLoopGroup loops;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) c.close();
        if (loops != null) loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    private Host host(int seed, Function<HostBuilder, HostBuilder> transport, boolean relayClient) {
        HostBuilder b = transport.apply(new HostBuilder().identity(Keys.ed25519ForTest(seed)).eventLoops(loops));
        if (relayClient) CircuitRelayTransport.install(b);
        Host h = b.build();
        closeLater.add(h);
        PingService.install(h);
        IdentifyService.install(h);
        h.setHandler(ECHO, ProtocolHandler.onLimitedConnectionsToo(s -> new Echo()));
        h.setHandler(PLAIN_ECHO, s -> new Echo());
        return h;
    }

    private CircuitRelayServer relay(Host h, RelayConfig config) {
        return CircuitRelayServer.install(h, config, loops.next(), System::currentTimeMillis);
    }

    private static Multiaddr circuit(Host relay, Host target) {
        return Multiaddr.fromString(relay.listenAddresses().getFirst().withPeerId(relay.peerId()) + "/p2p-circuit")
                .withPeerId(target.peerId());
    }

    private static Multiaddr listenVia(Host relay) {
        return Multiaddr.fromString(relay.listenAddresses().getFirst().withPeerId(relay.peerId()) + "/p2p-circuit");
    }

    private void shouldPingAndIdentifyThroughRelay(Function<HostBuilder, HostBuilder> transport, String relayAddr,
                                                   String seedAddr) throws Exception {
        Host r = host(91, transport, false);
        CircuitRelayServer server = relay(r, RelayConfig.defaults());
        r.listen(Multiaddr.fromString(relayAddr)).get(5, TimeUnit.SECONDS);
        Host a = host(92, transport, true);
        Host b = host(93, transport, true);
        if (seedAddr != null) {
            a.listen(Multiaddr.fromString(seedAddr + "a")).get(5, TimeUnit.SECONDS);
            b.listen(Multiaddr.fromString(seedAddr + "b")).get(5, TimeUnit.SECONDS);
        }
        Multiaddr bound = a.listen(listenVia(r)).get(10, TimeUnit.SECONDS);
        assertTrue(a.listenAddresses().contains(bound), "the circuit address is announced: " + a.listenAddresses());
        assertEquals(1, server.reservationCount().get());

        Connection ab = b.dial(circuit(r, a)).get(10, TimeUnit.SECONDS);
        assertEquals(a.peerId(), ab.remotePeer());
        assertTrue(CircuitRelayServer.isRelayed(ab), "relayed: " + ab.remoteAddress());
        assertEquals(Optional.of(new ConnectionLimits(120, 128 * 1024)), ab.limits(), "the relay's default limit");
        assertLimitedToOptedInProtocols(b, a);
        PingService ping = PingService.install(b);
        assertTrue(ping.ping(a.peerId()).get(10, TimeUnit.SECONDS) > 0);
        IdentifyInfo info = IdentifyService.install(b).identify(ab).get(10, TimeUnit.SECONDS);
        assertEquals(a.peerId(), info.peer());
        assertTrue(info.listenAddresses().contains(bound), "identify lists the circuit address");
        assertEquals(1, server.circuitCount().get());

        // the other way, on the same relayed connection
        Connection ba = poll(() -> a.connection(b.peerId()).orElse(null));
        assertTrue(CircuitRelayServer.isRelayed(ba));
        assertEquals(Optional.of(new ConnectionLimits(120, 128 * 1024)), ba.limits(), "limited on the listener too");
        assertLimitedToOptedInProtocols(a, b);
        assertTrue(PingService.install(a).ping(b.peerId()).get(10, TimeUnit.SECONDS) > 0);
        byte[] echoed = echo(a, b, 100_000);
        assertEquals(100_000, echoed.length);

        ab.close();
        poll(() -> server.circuitCount().get() == 0 ? Boolean.TRUE : null);
    }

    /**
     * On a limited connection a protocol that does not opt in fails outbound before any byte is sent, and is
     * answered {@code na} inbound even when the dialer opts in; one that opts in on both sides runs.
     */
    private static void assertLimitedToOptedInProtocols(Host from, Host to) throws Exception {
        ExecutionException local = assertThrows(ExecutionException.class, () -> from.newStream(to.peerId(),
                List.of(PLAIN_ECHO), s -> new Echo()).get(10, TimeUnit.SECONDS));
        assertTrue(local.getCause().getMessage().contains("limited"), local.getCause().getMessage());
        ExecutionException remote = assertThrows(ExecutionException.class, () -> from.newStream(to.peerId(),
                List.of(PLAIN_ECHO), ProtocolHandler.onLimitedConnectionsToo(s -> new Echo()))
                .get(10, TimeUnit.SECONDS));
        assertEquals(P2pException.Category.PROTOCOL_VIOLATION, ((P2pException) remote.getCause()).category(),
                "refused by the remote: " + remote.getCause());
        assertEquals(1000, echo(from, to, 1000).length);
    }

    @Test
    void shouldRunEveryProtocolOverAnUnlimitedRelay() throws Exception {
        loops = new DefaultEventLoopGroup(2);
        MemoryNetwork net = new MemoryNetwork();
        Host r = host(120, x -> x.memoryTransport(net), false);
        relay(r, RelayConfig.defaults().withLimit(new Limit(0, 0)));
        r.listen(Multiaddr.fromString("/memory/unlimited-relay")).get(5, TimeUnit.SECONDS);
        Host a = host(121, x -> x.memoryTransport(net), true);
        Host b = host(122, x -> x.memoryTransport(net), true);
        a.listen(listenVia(r)).get(10, TimeUnit.SECONDS);
        Connection ab = b.dial(circuit(r, a)).get(10, TimeUnit.SECONDS);
        assertTrue(CircuitRelayServer.isRelayed(ab));
        assertEquals(Optional.empty(), ab.limits(), "no limit announced: not limited");
        Stream s = b.newStream(a.peerId(), List.of(PLAIN_ECHO), x -> new Echo()).get(10, TimeUnit.SECONDS);
        assertEquals(PLAIN_ECHO, s.protocol());
        s.reset();
    }

    @Test
    void shouldPingAndIdentifyThroughJavaRelayOverTcp() throws Exception {
        loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        shouldPingAndIdentifyThroughRelay(HostBuilder::tcpTransport, "/ip4/127.0.0.1/tcp/0", null);
    }

    @Test
    void shouldPingAndIdentifyThroughJavaRelayOverMemory() throws Exception {
        loops = new DefaultEventLoopGroup(2);
        MemoryNetwork net = new MemoryNetwork();
        shouldPingAndIdentifyThroughRelay(b -> b.memoryTransport(net), "/memory/relay", "/memory/peer-");
    }

    @Test
    void shouldResetCircuitAtItsDataLimit() throws Exception {
        loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        Host r = host(94, HostBuilder::tcpTransport, false);
        relay(r, RelayConfig.defaults().withLimit(new Limit(0, 16 * 1024)));
        r.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
        Host a = host(95, HostBuilder::tcpTransport, true);
        Host b = host(96, HostBuilder::tcpTransport, true);
        a.listen(listenVia(r)).get(10, TimeUnit.SECONDS);
        Connection ab = b.dial(circuit(r, a)).get(10, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class, () -> echo(b, a, 256 * 1024));
        assertNotNull(e.getCause());
        ab.closeFuture().get(10, TimeUnit.SECONDS); // the relay reset the pipe under the connection
    }

    @Test
    void shouldCloseCircuitAtItsDurationLimit() throws Exception {
        loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        Host r = host(107, HostBuilder::tcpTransport, false);
        CircuitRelayServer server = relay(r, RelayConfig.defaults().withLimit(new Limit(1, 0)));
        r.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
        Host a = host(108, HostBuilder::tcpTransport, true);
        Host b = host(109, HostBuilder::tcpTransport, true);
        a.listen(listenVia(r)).get(10, TimeUnit.SECONDS);
        Connection ab = b.dial(circuit(r, a)).get(10, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        ab.closeFuture().get(15, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - t0 > TimeUnit.MILLISECONDS.toNanos(500), "closed by the 1 s limit, not at once");
        poll(() -> server.circuitCount().get() == 0 ? Boolean.TRUE : null);
    }

    @Test
    void shouldReserveAgainWhenTheRelayConnectionDrops() throws Exception {
        loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        Host r = host(110, HostBuilder::tcpTransport, false);
        CircuitRelayServer server = relay(r, RelayConfig.defaults());
        r.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
        CircuitRelayTransport[] made = new CircuitRelayTransport[1];
        Host a = new HostBuilder().identity(Keys.ed25519ForTest(111)).eventLoops(loops).tcpTransport()
                .transport((k, l) -> made[0] = new CircuitRelayTransport(k, l)).service(h -> made[0].attach(h)).build();
        closeLater.add(a);
        a.listen(listenVia(r)).get(10, TimeUnit.SECONDS);
        RelayReservation reservation = made[0].reservation(r.peerId());
        assertEquals(1, reservation.grantedCount().get());
        ReservationVoucher voucher = ReservationVoucher.open(reservation.current().voucher());
        assertEquals(a.peerId(), voucher.peer());
        r.connection(a.peerId()).orElseThrow().close(); // the relay drops a, and with it the reservation
        poll(() -> reservation.grantedCount().get() >= 2 ? Boolean.TRUE : null);
        assertEquals(1, server.reservationCount().get());
        Host b = host(112, HostBuilder::tcpTransport, true);
        assertTrue(CircuitRelayServer.isRelayed(b.dial(circuit(r, a)).get(10, TimeUnit.SECONDS)));
    }

    @Test
    void shouldRefuseCircuitsToPeersWithoutReservation() throws Exception {
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Host r = host(97, HostBuilder::tcpTransport, false);
        relay(r, RelayConfig.defaults());
        r.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
        Host a = host(98, HostBuilder::tcpTransport, true);
        Host b = host(99, HostBuilder::tcpTransport, true);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> b.dial(circuit(r, a)).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("NO_RESERVATION"), e.getCause().getMessage());
    }

    @Test
    void shouldRefuseReservationsBeyondTheCap() throws Exception {
        loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Host r = host(100, HostBuilder::tcpTransport, false);
        RelayConfig d = RelayConfig.defaults();
        relay(r, new RelayConfig(Duration.ofMinutes(5), 1, 4, 1, d.limit(), d.exchangeTimeout()));
        r.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
        Host a = host(101, HostBuilder::tcpTransport, true);
        Host c = host(102, HostBuilder::tcpTransport, true);
        a.listen(listenVia(r)).get(10, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> c.listen(listenVia(r)).get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("RESERVATION_REFUSED"), e.getCause().getMessage());
        assertTrue(c.listenAddresses().isEmpty());
    }

    @Test
    void shouldSurviveGarbageOnHopAndStopStreams() throws Exception {
        loops = new DefaultEventLoopGroup(2);
        MemoryNetwork net = new MemoryNetwork();
        Host r = host(103, b -> b.memoryTransport(net), false);
        CircuitRelayServer server = relay(r, RelayConfig.defaults());
        r.listen(Multiaddr.fromString("/memory/garbage-relay")).get(5, TimeUnit.SECONDS);
        Host a = host(104, b -> b.memoryTransport(net), true);
        a.listen(Multiaddr.fromString("/memory/garbage-a")).get(5, TimeUnit.SECONDS);
        Host m = host(105, b -> b.memoryTransport(net), false);
        m.dial(r.listenAddresses().getFirst().withPeerId(r.peerId())).get(5, TimeUnit.SECONDS);
        m.dial(a.listenAddresses().getFirst().withPeerId(a.peerId())).get(5, TimeUnit.SECONDS);
        List<byte[]> corpus = List.of(
                CircuitCodec.encode(new CircuitMessages.Hop(CircuitMessages.HopType.RESERVE, null, null, null, null)),
                CircuitCodec.encode(new CircuitMessages.Hop(CircuitMessages.HopType.CONNECT,
                        CircuitMessages.Peer.of(a.peerId()), null, null, null)),
                CircuitCodec.encode(new CircuitMessages.Stop(CircuitMessages.StopType.CONNECT,
                        CircuitMessages.Peer.of(m.peerId()), new Limit(1, 1), null)));
        dev.starling.p2p.testing.Mutator mutator = new dev.starling.p2p.testing.Mutator(77, corpus);
        int runs = dev.starling.p2p.testing.Mutator.iterations(300);
        for (int i = 0; i < runs; i++) {
            byte[] body = mutator.next();
            int n = dev.starling.p2p.multiformats.Uvarint.size(body.length);
            io.netty.buffer.ByteBuf frame = Unpooled.buffer();
            dev.starling.p2p.multiformats.Uvarint.write(frame, (i % 7 == 0) ? body.length + n : body.length);
            frame.writeBytes(body);
            boolean toRelay = i % 2 == 0;
            Host target = toRelay ? r : a;
            String protocol = toRelay ? CircuitRelayTransport.HOP_PROTOCOL : CircuitRelayTransport.STOP_PROTOCOL;
            Stream s = m.newStream(target.peerId(), List.of(protocol), x -> (st, data) -> data.release())
                    .get(5, TimeUnit.SECONDS);
            s.write(frame);
            if (i % 3 == 0) {
                s.closeWrite();
            } else {
                s.reset();
            }
        }
        // both still serve real requests
        Multiaddr bound = a.listen(listenVia(r)).get(10, TimeUnit.SECONDS);
        assertNotNull(bound);
        Host c = host(106, b -> b.memoryTransport(net), true);
        Connection ca = c.dial(circuit(r, a)).get(10, TimeUnit.SECONDS);
        assertTrue(CircuitRelayServer.isRelayed(ca));
        assertTrue(PingService.install(c).ping(a.peerId()).get(10, TimeUnit.SECONDS) > 0);
        int held = server.reservationCount().get(); // a's, and m's if an unmutated RESERVE got through
        assertTrue(held == 1 || held == 2, "reservations: " + held);
    }

    /** Opens an echo stream from {@code from} to {@code to}, sends n bytes, returns what came back. */
    static byte[] echo(Host from, Host to, int n) throws Exception {
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        StreamHandler reader = new StreamHandler() {
            @Override
            public void onData(Stream s, ByteBuf data) {
                try {
                    byte[] b = new byte[data.readableBytes()];
                    data.readBytes(b);
                    got.writeBytes(b);
                } finally {
                    data.release();
                }
            }

            @Override
            public void onClosed(Stream s, boolean reset) {
                if (reset) {
                    done.completeExceptionally(new IllegalStateException("echo stream reset"));
                } else {
                    done.complete(got.toByteArray());
                }
            }
        };
        Stream s = from.newStream(to.peerId(), List.of(ECHO), ProtocolHandler.onLimitedConnectionsToo(x -> reader))
                .get(10, TimeUnit.SECONDS);
        byte[] payload = new byte[n];
        new java.util.SplittableRandom(n).nextBytes(payload);
        for (int off = 0; off < n; off += 8192) {
            s.write(Unpooled.wrappedBuffer(payload, off, Math.min(8192, n - off)));
        }
        s.closeWrite();
        byte[] back = done.get(20, TimeUnit.SECONDS);
        if (!java.util.Arrays.equals(payload, back)) throw new AssertionError("echo differs");
        return back;
    }

    /** Echoes bytes and closes after the remote's FIN. */
    private static final class Echo implements StreamHandler {
        @Override
        public void onData(Stream stream, ByteBuf data) {
            stream.write(data);
        }

        @Override
        public void onRemoteClosed(Stream stream) {
            stream.closeWrite();
        }
    }

    /** Polls until {@code probe} returns non-null (10 s safety timeout). */
    static <T> T poll(java.util.concurrent.Callable<T> probe) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            T v = probe.call();
            if (v != null) return v;
            Thread.onSpinWait();
            Thread.sleep(10); // condition polling with a safety timeout, not synchronisation
        }
        throw new AssertionError("condition not met within 10 s");
    }
}
