package dev.starling.p2p.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.channel.DefaultEventLoopGroup;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Dial back-off on a manual clock and the connection cap, over the in-memory transport. */
class ConnectionPolicyTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private final DefaultEventLoopGroup loop = new DefaultEventLoopGroup(1);
    private final MemoryNetwork net = new MemoryNetwork();
    private final AtomicLong now = new AtomicLong();

    @AfterEach
    void shutdown() {
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    private HostBuilder builder(int seed) {
        return new HostBuilder().identity(Keys.ed25519ForTest(seed)).eventLoops(loop).memoryTransport(net)
                .clock(now::get);
    }

    @Test
    void shouldDoubleTheWaitAfterEachFailureUpToTheCapAndForgetOnSuccess() {
        DialBackoff b = new DialBackoff(SECOND, 5 * SECOND);
        PeerId p = Keys.ed25519ForTest(1).publicKey().toPeerId();
        assertEquals(0, b.waitNanos(p, 0));
        b.onFailure(p, 0);
        assertEquals(SECOND, b.waitNanos(p, 0));
        b.onFailure(p, SECOND);
        assertEquals(2 * SECOND, b.waitNanos(p, SECOND));
        for (int i = 0; i < 100; i++) b.onFailure(p, 0);
        assertEquals(5 * SECOND, b.waitNanos(p, 0));
        b.onSuccess(p);
        assertEquals(0, b.waitNanos(p, 0));
    }

    @Test
    void shouldBackOffFromAPeerWhoseDialFailed() throws Exception {
        try (Host a = builder(1).build(); Host b = builder(2).build()) {
            Multiaddr target = Multiaddr.fromString("/memory/later").withPeerId(b.peerId());
            assertThrows(ExecutionException.class, () -> a.dial(target).get(5, TimeUnit.SECONDS));
            b.listen(Multiaddr.fromString("/memory/later")).get(5, TimeUnit.SECONDS);
            ExecutionException e = assertThrows(ExecutionException.class, () -> a.dial(target).get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause().getMessage().contains("backing off"), e.getCause().getMessage());
            now.addAndGet(SECOND);
            assertEquals(b.peerId(), a.dial(target).get(5, TimeUnit.SECONDS).remotePeer());
        }
    }

    @Test
    void shouldCloseInboundConnectionsBeyondTheCap() throws Exception {
        try (Host server = builder(3).maxConnections(1).build(); Host c1 = builder(4).build();
             Host c2 = builder(5).build()) {
            Multiaddr addr = server.listen(Multiaddr.fromString("/memory/capped")).get(5, TimeUnit.SECONDS);
            c1.dial(addr).get(5, TimeUnit.SECONDS);
            Connection second = c2.dial(addr).get(5, TimeUnit.SECONDS);
            second.closeFuture().get(5, TimeUnit.SECONDS);
            assertEquals(1, server.connections().size());
            assertEquals(P2pException.Category.CLOSED, ((P2pException) assertThrows(ExecutionException.class,
                    () -> second.newStream(java.util.List.of("/x"), s -> null).get(5, TimeUnit.SECONDS)).getCause())
                    .category());
        }
    }
}
