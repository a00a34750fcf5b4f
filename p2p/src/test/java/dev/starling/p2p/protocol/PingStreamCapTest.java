package dev.starling.p2p.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.ping.PingService;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.channel.DefaultEventLoopGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A peer may hold at most two inbound ping streams open; a third is reset, and a slot frees when one closes. */
class PingStreamCapTest {
    private static final StreamHandler SILENT = (s, data) -> data.release();

    @Test
    void shouldResetTheThirdConcurrentInboundPingStreamOfAPeer() throws Exception {
        DefaultEventLoopGroup loop = new DefaultEventLoopGroup(1);
        MemoryNetwork net = new MemoryNetwork();
        try (Host a = new HostBuilder().identity(Keys.ed25519ForTest(71)).eventLoops(loop).memoryTransport(net).build();
             Host b = new HostBuilder().identity(Keys.ed25519ForTest(72)).eventLoops(loop).memoryTransport(net).build()) {
            PingService.install(b);
            PingService ping = PingService.install(a);
            b.listen(Multiaddr.fromString("/memory/ping-cap")).get(5, TimeUnit.SECONDS);
            a.dial(Multiaddr.fromString("/memory/ping-cap").withPeerId(b.peerId())).get(5, TimeUnit.SECONDS);
            List<Stream> open = new ArrayList<>();
            for (int i = 0; i < PingService.MAX_INBOUND_STREAMS_PER_PEER; i++) {
                open.add(a.newStream(b.peerId(), List.of(PingService.PROTOCOL_ID), s -> SILENT).get(5, TimeUnit.SECONDS));
            }
            Stream third = a.newStream(b.peerId(), List.of(PingService.PROTOCOL_ID), s -> SILENT)
                    .get(5, TimeUnit.SECONDS);
            third.closeFuture().get(5, TimeUnit.SECONDS); // reset by b
            for (Stream s : open) assertFalse(s.closeFuture().isDone());
            open.getFirst().reset();
            open.getFirst().closeFuture().get(5, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean answered = false;
            while (!answered && System.nanoTime() < deadline) { // b learns of the reset asynchronously
                try {
                    answered = ping.ping(b.peerId()).get(5, TimeUnit.SECONDS) > 0;
                } catch (java.util.concurrent.ExecutionException stillFull) {
                    Thread.sleep(10); // condition polling with a safety timeout
                }
            }
            assertTrue(answered, "a freed slot takes a new ping");
        } finally {
            loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }
}
