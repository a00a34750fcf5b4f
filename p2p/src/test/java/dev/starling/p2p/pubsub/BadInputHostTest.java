package dev.starling.p2p.pubsub;

import dev.starling.p2p.codec.LengthPrefixedFrames;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.kad.DhtCodec;
import dev.starling.p2p.kad.KadConfig;
import dev.starling.p2p.kad.KadDht;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Garbage on a gossipsub or DHT stream resets that stream only; the services keep working. */
class BadInputHostTest {
    private static final MemoryNetwork NETWORK = new MemoryNetwork();
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
    private final DefaultEventExecutor owner = new DefaultEventExecutor();
    private Host victim;
    private Host attacker;
    private GossipSub gossip;
    private KadDht dht;

    @AfterEach
    void close() {
        gossip.close();
        dht.close();
        victim.close();
        attacker.close();
        owner.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    private static StreamHandler recordClose(CompletableFuture<Boolean> reset) {
        return new StreamHandler() {
            @Override
            public void onData(Stream stream, ByteBuf data) {
                data.release();
            }

            @Override
            public void onClosed(Stream stream, boolean wasReset) {
                reset.complete(wasReset);
            }
        };
    }

    @Test
    void shouldResetStreamsCarryingOversizedOrMalformedFramesAndKeepServing() throws Exception {
        victim = new HostBuilder().identity(Keys.ed25519ForTest(400)).eventLoops(loops).memoryTransport(NETWORK)
                .build();
        victim.listen(Multiaddr.fromString("/memory/victim")).get(5, TimeUnit.SECONDS);
        gossip = new GossipSub(victim, GossipsubConfig.defaults(), PeerScoreParams.defaults(Map.of()),
                new RpcLimits(4096, 16, 16, 16, 64, 16, 256, 64), owner, System::nanoTime);
        dht = new KadDht(victim, KadConfig.defaults(), DhtCodec.Limits.defaults(), owner, System::nanoTime);
        attacker = new HostBuilder().identity(Keys.ed25519ForTest(401)).eventLoops(loops).memoryTransport(NETWORK)
                .build();
        Connection c = attacker.dial(Multiaddr.fromString("/memory/victim")).get(5, TimeUnit.SECONDS);

        // A frame announcing 1 GiB: refused from the length prefix alone.
        CompletableFuture<Boolean> huge = new CompletableFuture<>();
        Stream s1 = c.newStream(List.of(PubsubProtocol.MESHSUB_V11.id()), s -> recordClose(huge))
                .get(5, TimeUnit.SECONDS);
        s1.write(Unpooled.wrappedBuffer(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x04}));
        assertTrue(huge.get(5, TimeUnit.SECONDS), "oversized gossipsub frame resets the stream");

        // A well-framed but malformed RPC.
        CompletableFuture<Boolean> malformed = new CompletableFuture<>();
        Stream s2 = c.newStream(List.of(PubsubProtocol.MESHSUB_V11.id()), s -> recordClose(malformed))
                .get(5, TimeUnit.SECONDS);
        s2.write(LengthPrefixedFrames.frame(new byte[] {0x12, 0x7f, 0x00}));
        assertTrue(malformed.get(5, TimeUnit.SECONDS), "malformed RPC resets the stream");

        // Garbage on the DHT protocol.
        CompletableFuture<Boolean> dhtGarbage = new CompletableFuture<>();
        Stream s3 = c.newStream(List.of(KadDht.PROTOCOL), s -> recordClose(dhtGarbage)).get(5, TimeUnit.SECONDS);
        s3.write(LengthPrefixedFrames.frame(new byte[] {0x08, (byte) 0x99, 0x01}));
        assertTrue(dhtGarbage.get(5, TimeUnit.SECONDS), "unknown DHT message type resets the stream");

        // The services still work for the same peer on fresh streams.
        assertTrue(c.isInitiator());
        GossipsubRouter.PublishResult r = gossip.publish("t", "still alive".getBytes(StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS);
        assertTrue(r.recipients() >= 0);
        byte[] pub = Keys.ed25519ForTest(400).publicKey().marshal();
        byte[] key = new byte[4 + victim.peerId().bytes().length];
        System.arraycopy("/pk/".getBytes(StandardCharsets.US_ASCII), 0, key, 0, 4);
        System.arraycopy(victim.peerId().bytes(), 0, key, 4, victim.peerId().bytes().length);
        dht.putValue(key, pub).get(5, TimeUnit.SECONDS);
        assertArrayEquals(pub, dht.getValue(key).get(5, TimeUnit.SECONDS).orElseThrow());
    }
}
