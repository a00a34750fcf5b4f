package dev.starling.p2p.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.identify.IdentifyInfo;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.protocol.ping.PingService;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Ping and identify between two Java hosts, over the in-memory transport and over TCP. */
class PingIdentifyTest {
    private static void pingAndIdentify(Host a, Host b, Multiaddr bAddr) throws Exception {
        PingService ping = PingService.install(a);
        IdentifyService idA = IdentifyService.install(a);
        PingService.install(b);
        IdentifyService idB = IdentifyService.install(b);
        b.listen(bAddr).get(5, TimeUnit.SECONDS);
        CompletableFuture<IdentifyInfo> bLearned = new CompletableFuture<>();
        idB.addListener(bLearned::complete);
        Connection c = a.dial(b.listenAddresses().getFirst().withPeerId(b.peerId())).get(5, TimeUnit.SECONDS);
        assertTrue(ping.ping(b.peerId()).get(5, TimeUnit.SECONDS) > 0);
        CompletableFuture<IdentifyInfo> asked = idA.identify(c);
        if (!asked.isDone()) { // a request already running on the connection is shared, not doubled
            assertTrue(asked == idA.identify(c) || asked.isDone(), "a second request while one runs shares it");
        }
        IdentifyInfo info = asked.get(5, TimeUnit.SECONDS);
        assertEquals(IdentifyService.AGENT, info.agentVersion());
        assertTrue(info.protocols().containsAll(List.of(PingService.PROTOCOL_ID, IdentifyService.PROTOCOL_ID)));
        assertTrue(info.signedRecord());
        assertEquals(b.listenAddresses(), info.listenAddresses());
        IdentifyInfo fromA = bLearned.get(5, TimeUnit.SECONDS);
        assertEquals(a.peerId(), fromA.peer());
        assertTrue(idA.info(b.peerId()).isPresent());
    }

    @Test
    void shouldPingAndIdentifyOverTheMemoryTransport() throws Exception {
        DefaultEventLoopGroup loop = new DefaultEventLoopGroup(1);
        MemoryNetwork net = new MemoryNetwork();
        try (Host a = new HostBuilder().identity(Keys.ed25519ForTest(81)).eventLoops(loop).memoryTransport(net).build();
             Host b = new HostBuilder().identity(Keys.ed25519ForTest(82)).eventLoops(loop).memoryTransport(net).build()) {
            pingAndIdentify(a, b, Multiaddr.fromString("/memory/b"));
        } finally {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    @Test
    void shouldPingAndIdentifyOverTcp() throws Exception {
        MultiThreadIoEventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (Host a = new HostBuilder().identity(Keys.ed25519ForTest(83)).eventLoops(loop).tcpTransport().build();
             Host b = new HostBuilder().identity(Keys.ed25519ForTest(84)).eventLoops(loop).tcpTransport().build()) {
            pingAndIdentify(a, b, Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"));
        } finally {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }
}
