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
import dev.starling.p2p.protocol.identify.IdentifyInfo;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.protocol.ping.PingService;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Ping and identify both ways against js-libp2p 2.x over TCP, Noise and yamux. Peer ids fixed by seed. */
@Tag("interop")
class JsInteropTest {
    private static final int JAVA_SEED = 21;
    private static final int JS_SEED = 22;
    private static MultiThreadIoEventLoopGroup group;
    private static JsPeer js;
    private static Host host;
    private static PingService ping;
    private static IdentifyService identify;
    private static Multiaddr hostAddr;

    @BeforeAll
    static void start() throws Exception {
        js = JsPeer.start(JS_SEED);
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        host = new HostBuilder().identity(Keys.ed25519ForTest(JAVA_SEED)).eventLoops(group).tcpTransport().build();
        ping = PingService.install(host);
        identify = IdentifyService.install(host);
        hostAddr = host.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (js != null) js.close();
        if (host != null) host.close();
        if (group != null) group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    @Test
    void shouldDeriveTheSamePeerIdFromTheSameSeedAsJs() {
        assertEquals(Keys.ed25519ForTest(JS_SEED).publicKey().toPeerId().toBase58(), js.peerId());
    }

    @Test
    void shouldPingAndIdentifyJsFromJava() throws Exception {
        Connection c = host.dial(Multiaddr.fromString(js.address())).get(10, TimeUnit.SECONDS);
        assertEquals(PeerId.fromString(js.peerId()), c.remotePeer());
        long rtt = ping.ping(c.remotePeer()).get(10, TimeUnit.SECONDS);
        assertTrue(rtt > 0);
        IdentifyInfo info = identify.identify(c).get(10, TimeUnit.SECONDS);
        assertTrue(info.agentVersion().startsWith("js-libp2p"), info.agentVersion());
        assertTrue(info.protocols().contains(PingService.PROTOCOL_ID), info.protocols().toString());
        assertTrue(info.signedRecord(), "js sends a signed peer record that verifies");
        assertEquals("ipfs/0.1.0", info.protocolVersion());
    }

    @Test
    void shouldAnswerPingAndIdentifyFromJs() throws Exception {
        Multiaddr target = hostAddr.withPeerId(host.peerId());
        CompletableFuture<IdentifyInfo> javaLearned = new CompletableFuture<>();
        identify.addListener(i -> {
            if (i.peer().toBase58().equals(js.peerId())) javaLearned.complete(i);
        });
        js.send("{\"cmd\":\"ping\",\"addr\":\"" + target + "\"}");
        JsonNode pong = js.await(e -> "ping".equals(e.path("event").asText()), 15);
        assertTrue(pong.path("ok").asBoolean());
        JsonNode id = js.await(e -> "identify".equals(e.path("event").asText())
                && host.peerId().toBase58().equals(e.path("peer").asText()), 15);
        assertEquals(IdentifyService.AGENT, id.path("agent").asText());
        assertTrue(id.path("protocols").toString().contains(PingService.PROTOCOL_ID), id.toString());
        assertTrue(id.path("signedRecord").asBoolean(), "js accepted our signed peer record: " + id);
        assertTrue(javaLearned.get(10, TimeUnit.SECONDS).agentVersion().startsWith("js-libp2p"));
    }
}
