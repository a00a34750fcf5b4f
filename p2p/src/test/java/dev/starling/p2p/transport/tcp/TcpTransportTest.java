package dev.starling.p2p.transport.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TcpTransportTest {
    private static MultiThreadIoEventLoopGroup group;
    private static Host server;
    private static Multiaddr serverAddr;

    @BeforeAll
    static void start() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        server = new HostBuilder().identity(Keys.ed25519ForTest(10)).eventLoops(group).tcpTransport().build();
        server.setHandler("/echo/1", s -> new StreamHandler() {
            @Override
            public void onData(Stream stream, ByteBuf data) {
                stream.write(data); // ownership passes to the stream
            }

            @Override
            public void onRemoteClosed(Stream stream) {
                stream.closeWrite();
            }
        });
        serverAddr = server.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() {
        server.close();
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    @Test
    void shouldEchoOneMegabyteOverNoiseAndYamux() throws Exception {
        Host client = new HostBuilder().identity(Keys.ed25519ForTest(11)).eventLoops(group).tcpTransport().build();
        Connection c = client.dial(serverAddr.withPeerId(server.peerId())).get(5, TimeUnit.SECONDS);
        assertEquals(server.peerId(), c.remotePeer());
        byte[] payload = new byte[1 << 20];
        new Random(1).nextBytes(payload);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        Stream s = c.newStream(List.of("/echo/1"), st -> new StreamHandler() {
            @Override
            public void onData(Stream stream, ByteBuf data) {
                try {
                    byte[] b = new byte[data.readableBytes()];
                    data.readBytes(b);
                    got.writeBytes(b);
                } finally {
                    data.release();
                }
            }

            @Override
            public void onClosed(Stream stream, boolean reset) {
                done.complete(got.toByteArray());
            }
        }).get(5, TimeUnit.SECONDS);
        s.write(Unpooled.wrappedBuffer(payload));
        s.closeWrite();
        assertArrayEquals(payload, done.get(10, TimeUnit.SECONDS));
        client.close();
    }

    @Test
    void shouldCloseGarbageConnectionsAndKeepServingOthers() throws Exception {
        String port = serverAddr.valueOf(dev.starling.p2p.core.MultiaddrProtocol.TCP).orElseThrow();
        byte[][] garbage = {("GET / HTTP/1.1\r\nHost: x\r\n" + "A".repeat(100) + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII),
            {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 1}, new byte[4096]};
        for (byte[] g : garbage) {
            try (java.net.Socket raw = new java.net.Socket("127.0.0.1", Integer.parseInt(port))) {
                raw.setSoTimeout(5000);
                raw.getOutputStream().write(g);
                raw.getOutputStream().flush();
                byte[] buf = new byte[1024];
                int n = 0;
                while (n >= 0) n = raw.getInputStream().read(buf); // the server closes: read returns -1
            }
        }
        Host client = new HostBuilder().identity(Keys.ed25519ForTest(13)).eventLoops(group).tcpTransport().build();
        assertEquals(server.peerId(), client.dial(serverAddr).get(5, TimeUnit.SECONDS).remotePeer());
        client.close();
    }

    @Test
    void shouldNegotiateYamuxWithMultistreamWhenTheDialerDoesNotInlineIt() throws Exception {
        Host client = new HostBuilder().identity(Keys.ed25519ForTest(14)).eventLoops(group)
                .transport((key, loops) -> new TcpTransport(key, loops, 1 << 20, false)).build();
        Connection c = client.dial(serverAddr.withPeerId(server.peerId())).get(5, TimeUnit.SECONDS);
        CompletableFuture<String> echoed = new CompletableFuture<>();
        Stream s = c.newStream(List.of("/echo/1"), st -> (stream, data) -> {
            try {
                echoed.complete(data.toString(java.nio.charset.StandardCharsets.US_ASCII));
            } finally {
                data.release();
            }
        }).get(5, TimeUnit.SECONDS);
        s.write(Unpooled.copiedBuffer("x", java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("x", echoed.get(5, TimeUnit.SECONDS));
        client.close();
    }

    @Test
    void shouldRefuseAPeerWhoseKeyDoesNotMatchTheDialedId() {
        Host client = new HostBuilder().identity(Keys.ed25519ForTest(12)).eventLoops(group).tcpTransport().build();
        var wrong = Keys.ed25519ForTest(99).publicKey().toPeerId();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> client.dial(serverAddr.withPeerId(wrong)).get(5, TimeUnit.SECONDS));
        P2pException p = assertInstanceOf(P2pException.class, e.getCause());
        assertEquals(P2pException.Category.BAD_PEER, p.category());
        client.close();
    }
}
