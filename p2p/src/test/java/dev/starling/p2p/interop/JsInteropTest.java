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
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
    void shouldFallBackToMultistreamForYamuxWhenJavaDoesNotInlineIt() throws Exception {
        try (Host plain = new HostBuilder().identity(Keys.ed25519ForTest(JAVA_SEED + 2)).eventLoops(group)
                .transport((key, loops) -> new dev.starling.p2p.transport.tcp.TcpTransport(key, loops, 1 << 20, false))
                .build()) {
            PingService p = PingService.install(plain);
            Connection c = plain.dial(Multiaddr.fromString(js.address())).get(10, TimeUnit.SECONDS);
            assertTrue(p.ping(c.remotePeer()).get(10, TimeUnit.SECONDS) > 0);
        }
    }

    /** The js harness's sink: counts bytes until FIN, then answers the count in decimal. */
    private static final String SINK = "/starling/bench/1.0.0";

    @Test
    void shouldMoveMegabytesBothWaysThroughYamuxFlowControl() throws Exception {
        int total = 8 << 20;
        host.setHandler(SINK, s -> new StreamHandler() {
            private long count;

            @Override
            public void onData(Stream stream, ByteBuf data) {
                count += data.readableBytes();
                data.release();
            }

            @Override
            public void onRemoteClosed(Stream stream) {
                stream.write(Unpooled.copiedBuffer(Long.toString(count), StandardCharsets.US_ASCII));
                stream.closeWrite();
            }
        });
        js.send("{\"cmd\":\"bench\",\"addr\":\"" + hostAddr.withPeerId(host.peerId()) + "\",\"bytes\":" + total + "}");
        assertEquals(total, js.await(e -> "bench".equals(e.path("event").asText()), 60).path("received").asLong());

        Connection c = host.dial(Multiaddr.fromString(js.address())).get(10, TimeUnit.SECONDS);
        CompletableFuture<String> reply = new CompletableFuture<>();
        StringBuilder text = new StringBuilder();
        Stream s = c.newStream(List.of(SINK), st -> new StreamHandler() {
            @Override
            public void onData(Stream stream, ByteBuf data) {
                try {
                    text.append(data.toString(StandardCharsets.US_ASCII));
                } finally {
                    data.release();
                }
            }

            @Override
            public void onClosed(Stream stream, boolean reset) {
                reply.complete(text.toString());
            }
        }).get(10, TimeUnit.SECONDS);
        byte[] chunk = new byte[1 << 20];
        for (int i = 0; i < total / chunk.length; i++) s.write(Unpooled.wrappedBuffer(chunk));
        s.closeWrite();
        assertEquals(Integer.toString(total), reply.get(60, TimeUnit.SECONDS).trim());
    }

    @Test
    void shouldAnswerPingAndIdentifyFromJs() throws Exception {
        Multiaddr target = hostAddr.withPeerId(host.peerId());
        CompletableFuture<IdentifyInfo> javaLearned = new CompletableFuture<>();
        identify.addListener(i -> {
            if (i.peer().toBase58().equals(js.peerId())) javaLearned.complete(i);
        });
        identify.info(PeerId.fromString(js.peerId())).ifPresent(javaLearned::complete); // another test connected
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
