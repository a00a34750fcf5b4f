package dev.starling.p2p.kad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.pubsub.GossipSub;
import dev.starling.p2p.pubsub.GossipsubConfig;
import dev.starling.p2p.pubsub.PeerScoreParams;
import dev.starling.p2p.pubsub.RpcLimits;
import dev.starling.p2p.pubsub.TopicScoreParams;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Gossipsub and the DHT on three hosts over loopback TCP with Noise and yamux. */
class LoopbackTcpServicesTest {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final DefaultEventExecutor owner = new DefaultEventExecutor();
    private final List<Host> hosts = new ArrayList<>();
    private final List<AutoCloseable> services = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable s : services) {
            s.close();
        }
        hosts.forEach(Host::close);
        owner.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    @Test
    void shouldGossipAndPutGetOverLoopbackTcp() throws Exception {
        String topic = "starling/tcp";
        List<Multiaddr> addrs = new ArrayList<>();
        List<GossipSub> pubsub = new ArrayList<>();
        List<KadDht> dhts = new ArrayList<>();
        List<CompletableFuture<String>> received = new ArrayList<>();
        GossipsubConfig config = GossipsubConfig.defaults().withHeartbeatInterval(Duration.ofMillis(50));
        for (int i = 0; i < 3; i++) {
            Host h = new HostBuilder().identity(Keys.ed25519ForTest(300 + i)).eventLoops(group).tcpTransport()
                    .build();
            addrs.add(h.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS)
                    .withPeerId(h.peerId()));
            hosts.add(h);
            GossipSub gs = new GossipSub(h, config, PeerScoreParams.defaults(Map.of(topic,
                    TopicScoreParams.defaults())), RpcLimits.defaults(), owner, System::nanoTime);
            KadDht dht = new KadDht(h, KadConfig.defaults(), DhtCodec.Limits.defaults(), owner, System::nanoTime);
            services.add(gs);
            services.add(dht);
            pubsub.add(gs);
            dhts.add(dht);
            CompletableFuture<String> got = new CompletableFuture<>();
            received.add(got);
            gs.subscribe(topic, m -> got.complete(new String(m.data(), StandardCharsets.UTF_8)))
                    .get(5, TimeUnit.SECONDS);
        }
        // A line: 0 - 1 - 2. Messages from 0 must be forwarded by 1 to reach 2.
        hosts.get(0).dial(addrs.get(1)).get(5, TimeUnit.SECONDS);
        hosts.get(1).dial(addrs.get(2)).get(5, TimeUnit.SECONDS);
        pubsub.get(0).awaitMesh(topic, 1).get(10, TimeUnit.SECONDS);
        pubsub.get(1).awaitMesh(topic, 2).get(10, TimeUnit.SECONDS);
        pubsub.get(2).awaitMesh(topic, 1).get(10, TimeUnit.SECONDS);
        pubsub.get(0).publish(topic, "over tcp".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        assertEquals("over tcp", received.get(1).get(10, TimeUnit.SECONDS));
        assertEquals("over tcp", received.get(2).get(10, TimeUnit.SECONDS));

        for (KadDht d : dhts) {
            d.bootstrap().get(10, TimeUnit.SECONDS);
        }
        byte[] pub = Keys.ed25519ForTest(300).publicKey().marshal();
        byte[] key = concat("/pk/".getBytes(StandardCharsets.US_ASCII), hosts.get(0).peerId().bytes());
        dhts.get(0).putValue(key, pub).get(10, TimeUnit.SECONDS);
        assertArrayEquals(pub, dhts.get(2).getValue(key).get(10, TimeUnit.SECONDS).orElseThrow());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
