package dev.starling.p2p.kad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.pubsub.GossipSub;
import dev.starling.p2p.pubsub.GossipsubConfig;
import dev.starling.p2p.pubsub.PeerScoreParams;
import dev.starling.p2p.pubsub.RpcLimits;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Many real hosts in one JVM over the in-memory transport, each with identify, the DHT and gossipsub: everyone
 * dials one bootstrap host, the DHT finds every peer within O(log n) hops, gossipsub delivers every message to every
 * subscriber. 20 hosts in the suite; {@code -Dscale.hosts=200} for the figure. Real threads and clocks, so
 * timing varies between runs; {@code DhtSimulationTest} replays the same join on a seeded, manual-clock network.
 */
class HostScaleTest {
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
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
        loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    @Test
    void shouldFindEveryPeerAndDeliverEveryMessageAcrossManyHosts() throws Exception {
        int n = Integer.getInteger("scale.hosts", 20);
        String topic = "starling/scale";
        MemoryNetwork network = new MemoryNetwork();
        List<KadDht> dhts = new ArrayList<>();
        List<GossipSub> pubsub = new ArrayList<>();
        int messages = 10;
        CountDownLatch deliveries = new CountDownLatch((n - 1) * messages);
        GossipsubConfig config = GossipsubConfig.defaults().withHeartbeatInterval(Duration.ofMillis(200));
        for (int i = 0; i < n; i++) {
            Host h = new HostBuilder().identity(Keys.ed25519ForTest(5000 + i)).eventLoops(loops)
                    .memoryTransport(network).build();
            h.listen(Multiaddr.fromString("/memory/scale" + i)).get(5, TimeUnit.SECONDS);
            hosts.add(h);
            KadDht dht = new KadDht(h, KadConfig.defaults(), DhtCodec.Limits.defaults(), owner, System::nanoTime);
            dht.useIdentify(IdentifyService.install(h));
            GossipSub gs = new GossipSub(h, config, PeerScoreParams.defaults(Map.of()), RpcLimits.defaults(), owner,
                    System::nanoTime);
            services.add(dht);
            services.add(gs);
            dhts.add(dht);
            pubsub.add(gs);
            if (i > 0) {
                gs.subscribe(topic, m -> deliveries.countDown()).get(5, TimeUnit.SECONDS);
            }
        }
        for (int i = 1; i < n; i++) {
            hosts.get(i).dial(Multiaddr.fromString("/memory/scale0")).get(5, TimeUnit.SECONDS);
        }
        long t0 = System.nanoTime();
        // Everyone joins at once (a self lookup), then runs one bucket refresh, as the periodic timer would.
        List<CompletableFuture<Integer>> boots = new ArrayList<>();
        for (int i = 1; i < n; i++) {
            boots.add(dhts.get(i).bootstrap());
        }
        for (CompletableFuture<Integer> b : boots) {
            b.get(60, TimeUnit.SECONDS);
        }
        for (int batch = 1; batch < n; batch += 20) {
            List<CompletableFuture<Integer>> refreshes = new ArrayList<>();
            for (int i = batch; i < Math.min(n, batch + 20); i++) {
                refreshes.add(dhts.get(i).refreshBuckets());
            }
            for (CompletableFuture<Integer> r : refreshes) {
                r.get(120, TimeUnit.SECONDS);
            }
        }
        long t1 = System.nanoTime();
        SplittableRandom random = new SplittableRandom(8);
        int lookups = 2 * n;
        List<KadDht.PeerLookup> results = new ArrayList<>();
        // Batches of 10 concurrent lookups: all services share one owner thread here, so unbounded concurrency
        // would only measure that thread's queue against the 10 s query timeout.
        for (int batch = 0; batch < lookups; batch += 10) {
            List<CompletableFuture<KadDht.PeerLookup>> pending = new ArrayList<>();
            for (int l = batch; l < Math.min(lookups, batch + 10); l++) {
                int from = random.nextInt(n);
                int to = (from + 1 + random.nextInt(n - 1)) % n;
                pending.add(dhts.get(from).findPeer(hosts.get(to).peerId()));
            }
            for (CompletableFuture<KadDht.PeerLookup> f : pending) {
                results.add(f.get(30, TimeUnit.SECONDS));
            }
        }
        int found = 0;
        int maxHops = 0;
        double hops = 0;
        long queries = 0;
        for (KadDht.PeerLookup r : results) {
            queries += r.queries();
            if (r.found() != null) {
                found++;
                hops += Math.max(r.hops(), 0);
                maxHops = Math.max(maxHops, r.hops());
            }
        }
        java.util.Map<dev.starling.p2p.core.PeerId, Integer> inDegree = new java.util.HashMap<>();
        int tableSum = 0;
        for (KadDht d : dhts) {
            List<dev.starling.p2p.core.PeerId> peers = d.routingTablePeers().get(5, TimeUnit.SECONDS);
            tableSum += peers.size();
            for (dev.starling.p2p.core.PeerId p : peers) {
                inDegree.merge(p, 1, Integer::sum);
            }
        }
        long unknown = hosts.stream().filter(h -> !inDegree.containsKey(h.peerId())).count();
        System.out.printf("tables: mean size %.1f, hosts in nobody's table %d%n", (double) tableSum / n, unknown);
        int bound = (int) Math.ceil(Math.log(n) / Math.log(2));
        long t2 = System.nanoTime();
        System.out.printf("timing: bootstrap %.1fs lookups %.1fs%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        // Subscribers dial the DHT peers they learned: publish from a host that now has many connections.
        for (int m = 0; m < messages; m++) {
            pubsub.get(0).publish(topic, ("m" + m).getBytes()).get(5, TimeUnit.SECONDS);
        }
        boolean delivered = deliveries.await(30, TimeUnit.SECONDS);
        System.out.printf("host scale: %d hosts (in-memory), %d lookups, %d found, hops mean %.2f max %d"
                        + " (bound %d), queries/lookup %.1f; gossipsub %d/%d deliveries%n", n, lookups, found,
                hops / Math.max(1, found), maxHops, bound, (double) queries / lookups,
                (n - 1) * messages - deliveries.getCount(), (n - 1) * messages);
        assertEquals(lookups, found, "every lookup finds its target");
        assertTrue(maxHops <= bound, "hops within log2(n)");
        assertTrue(delivered, "every subscriber got every message");
    }
}
