package dev.starling.p2p.emulation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.testing.LeakRecorder;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Real hosts with emulated links: bytes arrive intact and in order, and never sooner than the emulated link
 * allows (a lower bound only: a slow machine may take longer, never less).
 */
@ExtendWith(LeakRecorder.class)
class EmulatedLinksHostTest {
    private static final String PROTOCOL = "/test/sink/1";
    private static MultiThreadIoEventLoopGroup group;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    @Test
    void shouldCarryBytesIntactAndNoFasterThanTheEmulatedLinkOverMemory() throws Exception {
        MemoryNetwork net = new MemoryNetwork();
        LinkEmulation links = LinkEmulation.uniform(LinkProfile.parse("16mbit,20ms,0.5%")).withSeed(3);
        Host a = new HostBuilder().identity(Keys.ed25519ForTest(1)).eventLoops(group).memoryTransport(net)
                .linkEmulation(links).build();
        Host b = new HostBuilder().identity(Keys.ed25519ForTest(2)).eventLoops(group).memoryTransport(net)
                .linkEmulation(links).build();
        Multiaddr addr = b.listen(Multiaddr.fromString("/memory/emulated-b")).get(5, TimeUnit.SECONDS);
        transferAndCheck(a, b, addr, 200_000, links.profile(a.peerId(), b.peerId()));
    }

    @Test
    void shouldCarryBytesIntactAndNoFasterThanTheEmulatedLinkOverTcp() throws Exception {
        LinkEmulation links = LinkEmulation.uniform(LinkProfile.parse("16mbit,20ms"));
        Host a = new HostBuilder().identity(Keys.ed25519ForTest(3)).eventLoops(group).tcpTransport()
                .linkEmulation(links).build();
        Host b = new HostBuilder().identity(Keys.ed25519ForTest(4)).eventLoops(group).tcpTransport()
                .linkEmulation(links).build();
        Multiaddr addr = b.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
        transferAndCheck(a, b, addr, 200_000, links.profile(a.peerId(), b.peerId()));
    }

    private static void transferAndCheck(Host a, Host b, Multiaddr addr, int size, LinkProfile link)
            throws Exception {
        byte[] payload = new byte[size];
        new Random(5).nextBytes(payload);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        CompletableFuture<Long> done = new CompletableFuture<>();
        b.setHandler(PROTOCOL, s -> new StreamHandler() {
            @Override
            public void onData(Stream stream, ByteBuf data) {
                try {
                    byte[] chunk = new byte[data.readableBytes()];
                    data.readBytes(chunk);
                    received.writeBytes(chunk);
                } finally {
                    data.release();
                }
            }

            @Override
            public void onRemoteClosed(Stream stream) {
                done.complete(System.nanoTime());
                stream.closeWrite();
            }
        });
        try {
            Connection c = a.dial(addr.withPeerId(b.peerId())).get(10, TimeUnit.SECONDS);
            Stream s = c.newStream(List.of(PROTOCOL), st -> new StreamHandler() {
                @Override
                public void onData(Stream stream, ByteBuf data) {
                    data.release();
                }
            }).get(10, TimeUnit.SECONDS);
            long start = System.nanoTime();
            s.write(Unpooled.wrappedBuffer(payload.clone()));
            s.closeWrite();
            long end = done.get(60, TimeUnit.SECONDS);
            assertArrayEquals(payload, received.toByteArray());
            long floor = (long) size * 8 * 1_000_000_000L / link.rateBitsPerSecond() + link.delayNanos();
            assertTrue(end - start >= floor, "took " + (end - start) + " ns, the link allows no less than " + floor);
        } finally {
            a.close();
            b.close();
        }
    }
}
