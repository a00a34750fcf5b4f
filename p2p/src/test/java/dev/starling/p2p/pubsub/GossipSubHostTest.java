package dev.starling.p2p.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.channel.DefaultEventLoopGroup;
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

/** Gossipsub services on real hosts over the in-memory transport: a chain of five, messages must cross it. */
class GossipSubHostTest {
    private static final String TOPIC = "starling/chain";
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final DefaultEventExecutor owner = new DefaultEventExecutor();
    private final List<Host> hosts = new ArrayList<>();
    private final List<GossipSub> services = new ArrayList<>();

    @AfterEach
    void close() {
        services.forEach(GossipSub::close);
        hosts.forEach(Host::close);
        owner.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    @Test
    void shouldDeliverAcrossAChainOfFiveHostsInBothDirections() throws Exception {
        int n = 5;
        GossipsubConfig config = GossipsubConfig.defaults().withHeartbeatInterval(Duration.ofMillis(50));
        PeerScoreParams scores = PeerScoreParams.defaults(Map.of(TOPIC, TopicScoreParams.defaults()));
        List<List<String>> received = new ArrayList<>();
        List<CompletableFuture<Void>> gotBoth = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Host h = new HostBuilder().identity(Keys.ed25519ForTest(100 + i)).eventLoops(loops)
                    .memoryTransport(NETWORK).build();
            h.listen(Multiaddr.fromString("/memory/gs" + i)).get(5, TimeUnit.SECONDS);
            hosts.add(h);
            GossipSub gs = new GossipSub(h, config, scores, RpcLimits.defaults(), owner, System::nanoTime);
            services.add(gs);
            List<String> got = new ArrayList<>();
            received.add(got);
            CompletableFuture<Void> both = new CompletableFuture<>();
            gotBoth.add(both);
            int expected = i == 0 || i == n - 1 ? 1 : 2; // the ends hear only the other end's message
            gs.subscribe(TOPIC, m -> {
                got.add(new String(m.data(), StandardCharsets.UTF_8));
                if (got.size() >= expected) {
                    both.complete(null);
                }
            }).get(5, TimeUnit.SECONDS);
        }
        for (int i = 0; i + 1 < n; i++) {
            hosts.get(i).dial(Multiaddr.fromString("/memory/gs" + (i + 1))).get(5, TimeUnit.SECONDS);
        }
        for (int i = 0; i < n; i++) {
            services.get(i).awaitMesh(TOPIC, i == 0 || i == n - 1 ? 1 : 2).get(10, TimeUnit.SECONDS);
        }
        services.get(0).publish(TOPIC, "from-head".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        services.get(n - 1).publish(TOPIC, "from-tail".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        for (int i = 0; i < n; i++) { // every host has heard all it will: the tail's copy may trail node 3's
            gotBoth.get(i).get(10, TimeUnit.SECONDS);
        }
        CompletableFuture.supplyAsync(() -> received.get(n - 1), owner).thenAccept(r ->
                assertEquals(List.of("from-head"), r)).get(10, TimeUnit.SECONDS);
        CompletableFuture.supplyAsync(() -> received.get(2), owner).thenAccept(r ->
                assertEquals(2, r.size())).get(5, TimeUnit.SECONDS);
    }

    private static final MemoryNetwork NETWORK = new MemoryNetwork();
}
