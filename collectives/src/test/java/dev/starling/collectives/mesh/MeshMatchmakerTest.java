package dev.starling.collectives.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.pubsub.GossipSub;
import dev.starling.p2p.pubsub.GossipsubConfig;
import dev.starling.p2p.pubsub.PeerScoreParams;
import dev.starling.p2p.pubsub.RpcLimits;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Matchmaking over gossipsub on the in-memory transport, with the formations on a manual clock. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MeshMatchmakerTest {
    private static final String TOPIC = "/starling/test/round";
    private static final String THETA = "theta";
    private static final long MS = 1_000_000L;
    private static final MeshMatchmaker.Settings SETTINGS = new MeshMatchmaker.Settings(2, 8, 1000 * MS, 1000 * MS,
            100 * MS, 10_000 * MS);
    private final MemoryNetwork network = new MemoryNetwork();
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final DefaultEventExecutor gossipOwner = new DefaultEventExecutor();
    private final DefaultEventExecutor owner = new DefaultEventExecutor();
    private final AtomicLong clock = new AtomicLong();
    private final List<Host> hosts = new ArrayList<>();
    private final List<GossipSub> gossips = new ArrayList<>();
    private final List<MeshMatchmaker> matchmakers = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        GossipsubConfig config = GossipsubConfig.defaults().withHeartbeatInterval(Duration.ofMillis(50));
        List<Host> built = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Host h = new HostBuilder().identity(Keys.ed25519ForTest(500 + i)).eventLoops(loops)
                    .memoryTransport(network).build();
            h.listen(Multiaddr.fromString("/memory/mm" + i)).get(5, TimeUnit.SECONDS);
            built.add(h);
        }
        built.sort(Comparator.comparing(h -> h.peerId().toBase58())); // hosts.get(0) is the round's leader
        hosts.addAll(built);
        for (Host h : hosts) {
            GossipSub gs = new GossipSub(h, config, PeerScoreParams.defaults(Map.of()), RpcLimits.defaults(),
                    gossipOwner, System::nanoTime);
            gossips.add(gs);
        }
        for (int i = 0; i < 3; i++) {
            for (int j = i + 1; j < 3; j++) {
                hosts.get(i).dial(hosts.get(j).listenAddresses().getFirst().withPeerId(hosts.get(j).peerId()))
                        .get(5, TimeUnit.SECONDS);
            }
        }
    }

    private MeshMatchmaker matchmaker(int i) {
        MeshMatchmaker m = new MeshMatchmaker(gossips.get(i), TOPIC, hosts.get(i).peerId(), owner, clock::get,
                SETTINGS);
        m.expectGroupSize(() -> 3);
        matchmakers.add(m);
        return m;
    }

    private void awaitMeshes() throws Exception {
        for (GossipSub gs : gossips) {
            gs.awaitMesh(TOPIC, 2).get(10, TimeUnit.SECONDS);
        }
    }

    @AfterEach
    void stop() {
        matchmakers.forEach(MeshMatchmaker::close);
        hosts.forEach(Host::close);
        owner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        gossipOwner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Moves the manual clock on in steps until every formation is done; returns the clock when it was. */
    private long advanceUntilDone(List<CompletableFuture<RoundMessage.Roster>> rosters) throws Exception {
        CompletableFuture<Void> all = CompletableFuture.allOf(rosters.toArray(CompletableFuture[]::new));
        for (int step = 0; step < 2000; step++) {
            try {
                all.get(20, TimeUnit.MILLISECONDS);
                return clock.get();
            } catch (TimeoutException notYet) {
                clock.addAndGet(25 * MS);
            }
        }
        throw new AssertionError("matchmaking did not finish");
    }

    private List<PeerId> ids(RoundMessage.Roster roster) {
        return roster.members().stream().map(m -> new PeerId(m.peerId())).toList();
    }

    private List<String> addresses(int i) {
        return List.of(hosts.get(i).listenAddresses().getFirst().toString());
    }

    @Test
    void shouldRejectARosterNotSignedByTheLeaderAndFormWithTheLeaders() throws Exception {
        List<MeshMatchmaker> mm = List.of(matchmaker(0), matchmaker(1), matchmaker(2));
        awaitMeshes();
        List<RoundMessage.Member> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            all.add(new RoundMessage.Member(hosts.get(i).peerId().bytes(), 10, addresses(i)));
        }
        // The last peer signs a roster naming the leader first: gossip authenticates it as the last peer's.
        gossips.get(2).publish(TOPIC, RoundMessage.encode(new RoundMessage.Roster(1, THETA, all)))
                .get(5, TimeUnit.SECONDS);
        for (int i = 0; i < 2; i++) {
            for (int poll = 0; mm.get(i).rostersRejected() == 0; poll++) {
                assertTrue(poll < 500, "peer " + i + " never rejected the forged roster");
                TimeUnit.MILLISECONDS.sleep(10); // condition polling, bounded
            }
        }
        List<CompletableFuture<RoundMessage.Roster>> rosters = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            rosters.add(mm.get(i).form(1, 10, THETA, addresses(i)));
        }
        advanceUntilDone(rosters);
        List<PeerId> everyone = hosts.stream().map(Host::peerId).toList();
        for (CompletableFuture<RoundMessage.Roster> r : rosters) {
            assertEquals(everyone, ids(r.get()));
        }
    }

    @Test
    void shouldReplaceALeaderThatAnnouncedItselfAndDiedAfterItsTurn() throws Exception {
        MeshMatchmaker m1 = matchmaker(1);
        MeshMatchmaker m2 = matchmaker(2);
        gossips.get(0).subscribe(TOPIC, message -> { }).get(5, TimeUnit.SECONDS); // the leader, before it dies
        awaitMeshes();
        CountDownLatch heard = new CountDownLatch(2);
        for (int i = 1; i < 3; i++) {
            gossips.get(i).subscribe(TOPIC, message -> {
                if (new PeerId(message.from()).equals(hosts.get(0).peerId())) {
                    heard.countDown();
                }
            }).get(5, TimeUnit.SECONDS);
        }
        // The leader announces readiness, then dies without a roster.
        gossips.get(0).publish(TOPIC, RoundMessage.encode(new RoundMessage.Ready(1, 10, THETA, addresses(0))))
                .get(5, TimeUnit.SECONDS);
        assertTrue(heard.await(10, TimeUnit.SECONDS));
        hosts.get(0).close();
        List<CompletableFuture<RoundMessage.Roster>> rosters = List.of(m1.form(1, 10, THETA, addresses(1)),
                m2.form(1, 10, THETA, addresses(2)));
        long formedAt = advanceUntilDone(rosters);
        assertTrue(formedAt >= 2000 * MS, "the next peer waits out the window and the leader's turn: " + formedAt);
        List<PeerId> survivors = List.of(hosts.get(1).peerId(), hosts.get(2).peerId());
        assertEquals(survivors, ids(rosters.get(0).get()));
        assertEquals(survivors, ids(rosters.get(1).get()));
    }
}
