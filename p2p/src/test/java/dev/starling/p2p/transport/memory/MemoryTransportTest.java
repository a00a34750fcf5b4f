package dev.starling.p2p.transport.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoopGroup;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryTransportTest {
    private final DefaultEventLoopGroup loop = new DefaultEventLoopGroup(1);
    private final MemoryNetwork network = new MemoryNetwork();

    @AfterEach
    void shutdown() {
        loop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    private Host host(int seed) {
        return new HostBuilder().identity(Keys.ed25519ForTest(seed)).eventLoops(loop).memoryTransport(network).build();
    }

    /** Echoes every byte back and closes its write side when the remote does. */
    static StreamHandler echo() {
        return new StreamHandler() {
            @Override
            public void onData(Stream stream, ByteBuf data) {
                stream.write(data); // ownership passes to the stream
            }

            @Override
            public void onRemoteClosed(Stream stream) {
                stream.closeWrite();
            }
        };
    }

    @Test
    void shouldEchoBytesOverAStreamAndCloseCleanly() throws Exception {
        Host a = host(1);
        Host b = host(2);
        b.setHandler("/echo/1", s -> echo());
        Multiaddr addr = b.listen(Multiaddr.fromString("/memory/b")).get(5, TimeUnit.SECONDS);
        Connection c = a.dial(addr.withPeerId(b.peerId())).get(5, TimeUnit.SECONDS);
        assertEquals(b.peerId(), c.remotePeer());
        StringBuilder got = new StringBuilder();
        CompletableFuture<String> done = new CompletableFuture<>();
        Stream s = c.newStream(List.of("/nope", "/echo/1"), st -> new StreamHandler() {
            @Override
            public void onData(Stream stream, ByteBuf data) {
                try {
                    got.append(data.toString(StandardCharsets.UTF_8));
                } finally {
                    data.release();
                }
            }

            @Override
            public void onClosed(Stream stream, boolean reset) {
                done.complete(got + (reset ? "!reset" : ""));
            }
        }).get(5, TimeUnit.SECONDS);
        assertEquals("/echo/1", s.protocol());
        s.write(Unpooled.copiedBuffer("hello ", StandardCharsets.UTF_8));
        s.write(Unpooled.copiedBuffer("world", StandardCharsets.UTF_8));
        s.closeWrite();
        assertEquals("hello world", done.get(5, TimeUnit.SECONDS));
        a.close();
        b.close();
    }

    @Test
    void shouldRefuseADialWhoseKeyDoesNotMatchThePeerId() throws Exception {
        Host a = host(1);
        Host b = host(2);
        b.listen(Multiaddr.fromString("/memory/b2")).get(5, TimeUnit.SECONDS);
        var wrong = Keys.ed25519ForTest(3).publicKey().toPeerId();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> a.dial(Multiaddr.fromString("/memory/b2").withPeerId(wrong)).get(5, TimeUnit.SECONDS));
        P2pException p = assertInstanceOf(P2pException.class, e.getCause());
        assertEquals(P2pException.Category.BAD_PEER, p.category());
        a.close();
        b.close();
    }

    @Test
    void shouldFailNewStreamWhenNoProtocolMatches() throws Exception {
        Host a = host(1);
        Host b = host(2);
        b.listen(Multiaddr.fromString("/memory/b3")).get(5, TimeUnit.SECONDS);
        Connection c = a.dial(Multiaddr.fromString("/memory/b3")).get(5, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> c.newStream(List.of("/x/1"), s -> echo()).get(5, TimeUnit.SECONDS));
        assertEquals(P2pException.Category.PROTOCOL_VIOLATION, ((P2pException) e.getCause()).category());
        a.close();
        b.close();
    }
}
