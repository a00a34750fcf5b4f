package dev.starling.p2p.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.MultiaddrProtocol;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.InputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Connections that never finish their handshake are capped; a closed one frees its slot for real peers. */
class PendingUpgradeCapTest {
    @Test
    void shouldCloseInboundConnectionsBeyondThePendingUpgradeCap() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        List<Socket> sockets = new ArrayList<>();
        try (Host server = new HostBuilder().identity(Keys.ed25519ForTest(61)).eventLoops(group).tcpTransport().build();
             Host client = new HostBuilder().identity(Keys.ed25519ForTest(62)).eventLoops(group).tcpTransport().build()) {
            Multiaddr addr = server.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
            int port = Integer.parseInt(addr.valueOf(MultiaddrProtocol.TCP).orElseThrow());
            int refused = 0;
            for (int i = 0; i <= TcpTransport.MAX_PENDING_INBOUND_UPGRADES; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.setSoTimeout(10_000);
                sockets.add(s);
                InputStream in = s.getInputStream();
                // an accepted connection starts with the responder's multistream header; a refused one ends at once
                if (in.read() < 0) refused++;
            }
            assertEquals(1, refused);
            for (Socket s : sockets) s.close();
            sockets.clear();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) { // the server sees the closes asynchronously; condition polling with a safety timeout
                try {
                    client.dial(addr.withPeerId(server.peerId())).get(5, TimeUnit.SECONDS);
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (System.nanoTime() > deadline) throw e;
                    Thread.sleep(20);
                }
            }
        } finally {
            for (Socket s : sockets) s.close();
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }
}
