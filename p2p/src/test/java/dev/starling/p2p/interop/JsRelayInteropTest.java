package dev.starling.p2p.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.protocol.ping.PingService;
import dev.starling.p2p.relay.CircuitRelayServer;
import dev.starling.p2p.relay.CircuitRelayTransport;
import dev.starling.p2p.relay.RelayConfig;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Circuit relay v2 against js-libp2p 2.x (@libp2p/circuit-relay-v2 3.2.24): js and Java peers reaching each other
 * through a Java relay, and two Java peers through a js relay. Peer ids fixed by seed.
 */
@Tag("interop")
class JsRelayInteropTest {
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private final java.util.Map<Host, IdentifyService> identify = new java.util.HashMap<>();
    private MultiThreadIoEventLoopGroup group;

    @BeforeEach
    void start() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) c.close();
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    private Host javaHost(int seed, boolean relayClient) throws Exception {
        HostBuilder b = new HostBuilder().identity(Keys.ed25519ForTest(seed)).eventLoops(group).tcpTransport();
        if (relayClient) CircuitRelayTransport.install(b);
        Host h = b.build();
        closeLater.add(h);
        PingService.install(h);
        identify.put(h, IdentifyService.install(h));
        h.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
        return h;
    }

    private JsPeer jsPeer(int seed, String... args) throws Exception {
        JsPeer p = JsPeer.start(seed, args);
        closeLater.add(p);
        return p;
    }

    private static String full(Host h) {
        return h.listenAddresses().getFirst().withPeerId(h.peerId()).toString();
    }

    @Test
    void shouldConnectJsAndJavaThroughAJavaRelay() throws Exception {
        Host relay = javaHost(41, false);
        CircuitRelayServer server = CircuitRelayServer.install(relay, RelayConfig.defaults(), group.next(),
                System::currentTimeMillis);
        Host java = javaHost(42, true);
        java.listen(Multiaddr.fromString(full(relay) + "/p2p-circuit")).get(10, TimeUnit.SECONDS);
        JsPeer js = jsPeer(43, "--listen-relay", full(relay));
        String jsCircuit = full(relay) + "/p2p-circuit/p2p/" + js.peerId();
        assertEquals(2, server.reservationCount().get(), "js and Java both hold a reservation on the Java relay");

        // js dials Java through the Java relay and pings it (js hop client -> Java relay -> Java stop)
        js.send("{\"cmd\":\"ping\",\"addr\":\"" + full(relay) + "/p2p-circuit/p2p/" + java.peerId() + "\"}");
        JsonNode pong = js.await(e -> "ping".equals(e.path("event").asText()), 30);
        assertTrue(pong.path("ok").asBoolean());
        Connection fromJs = java.connection(PeerId.fromString(js.peerId())).orElseThrow();
        assertTrue(fromJs.remoteAddress().toString().contains("/p2p-circuit"), fromJs.remoteAddress().toString());
        fromJs.close();
        waitDisconnected(java, PeerId.fromString(js.peerId()));

        // Java dials js through the Java relay and pings it (Java hop client -> Java relay -> js stop)
        Connection toJs = java.dial(Multiaddr.fromString(jsCircuit)).get(20, TimeUnit.SECONDS);
        assertEquals(PeerId.fromString(js.peerId()), toJs.remotePeer());
        assertTrue(PingService.install(java).ping(toJs.remotePeer()).get(20, TimeUnit.SECONDS) > 0);
        assertTrue(identify.get(java).identify(toJs).get(20, TimeUnit.SECONDS).agentVersion()
                .startsWith("js-libp2p"));
    }

    @Test
    void shouldConnectTwoJavaPeersThroughAJsRelay() throws Exception {
        JsPeer relay = jsPeer(44, "--relay-server");
        String relayAddr = relay.address();
        Host target = javaHost(45, true);
        target.listen(Multiaddr.fromString(relayAddr + "/p2p-circuit")).get(20, TimeUnit.SECONDS);
        Host dialer = javaHost(46, true);
        Connection c = dialer.dial(Multiaddr.fromString(relayAddr + "/p2p-circuit/p2p/" + target.peerId()))
                .get(20, TimeUnit.SECONDS);
        assertEquals(target.peerId(), c.remotePeer());
        assertTrue(c.remoteAddress().toString().contains("/p2p-circuit"));
        assertTrue(PingService.install(dialer).ping(target.peerId()).get(20, TimeUnit.SECONDS) > 0);
        assertTrue(PingService.install(target).ping(dialer.peerId()).get(20, TimeUnit.SECONDS) > 0);
    }

    @Test
    void shouldLetJsDialJavaThroughAJsRelay() throws Exception {
        JsPeer relay = jsPeer(47, "--relay-server");
        Host target = javaHost(48, true);
        target.listen(Multiaddr.fromString(relay.address() + "/p2p-circuit")).get(20, TimeUnit.SECONDS);
        JsPeer dialer = jsPeer(49, "--relay-client");
        dialer.send("{\"cmd\":\"ping\",\"addr\":\"" + relay.address() + "/p2p-circuit/p2p/" + target.peerId()
                + "\"}");
        assertTrue(dialer.await(e -> "ping".equals(e.path("event").asText()), 30).path("ok").asBoolean());
    }

    private static void waitDisconnected(Host h, PeerId peer) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (h.connection(peer).isPresent()) {
            if (System.nanoTime() > deadline) throw new AssertionError("still connected to " + peer);
            Thread.sleep(10); // condition polling with a safety timeout
        }
    }
}
