package dev.starling.peer.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.tensor.cpu.ParallelFor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Three peers train over loopback; a fourth joins mid-run, downloads the state and keeps bit parity with them. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ElasticJoinTest {
    static final String MANIFEST = """
            [run]
            name = "elastic-join-test"
            seed = 5
            [model]
            layers = 1
            heads = 2
            channels = 32
            block_size = 32
            [data]
            source = "builtin:tinyshakespeare"
            tokenizer = "char"
            batch_size = 4
            [inner]
            steps = 4
            lr = 3e-3
            min_lr = 3e-4
            warmup_steps = 4
            [codec]
            name = "int8"
            block_size = 64
            [aggregator]
            name = "mean"
            [group]
            min_size = 2
            max_size = 8
            [deadlines]
            round_max_s = 60
            matchmaking_s = 60
            """;
    private static final List<Multiaddr> LOOPBACK = List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"));

    /** Outcomes by peer, in order. */
    private final Map<Integer, List<MeshDiloco.RoundOutcome>> outcomes = new ConcurrentHashMap<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    private Thread start(int index, PeerNode node, TokenDataset data, AtomicBoolean stop) {
        outcomes.put(index, new CopyOnWriteArrayList<>());
        return Thread.ofPlatform().name("elastic-peer-" + index).start(() -> {
            try (ParallelFor pool = new ParallelFor(1); MeshDiloco diloco = new MeshDiloco(node, data, pool, index)) {
                diloco.run(0, stop::get, outcomes.get(index)::add);
            } catch (Throwable e) {
                failures.add(e);
            }
        });
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, "timed out waiting until " + what);
            Thread.sleep(50); // condition polling with a generous safety timeout
        }
    }

    private long roundsInGroup(int peer) {
        return outcomes.get(peer).stream().filter(o -> o.groupSize() > 0).count();
    }

    @Test
    void shouldLetALateJoinerDownloadTheStateAndEndRoundsWithTheSameHash(@TempDir Path dir) throws Exception {
        Path manifest = Files.writeString(dir.resolve("run.toml"), MANIFEST);
        CoordinatorConfig config = new CoordinatorConfig(manifest, Keys.ed25519ForTest(960), LOOPBACK, List.of(),
                new DashboardConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "token123", 8));
        AtomicBoolean stop = new AtomicBoolean();
        List<PeerNode> nodes = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (CoordinatorNode coordinator = CoordinatorNode.start(config)) {
            TokenDataset data = ManifestTraining.dataset(coordinator.manifest(), null);
            for (int i = 0; i < 4; i++) {
                nodes.add(PeerNode.join(Keys.ed25519ForTest(961 + i), LOOPBACK, coordinator.bootstrapAddresses()));
            }
            for (int i = 0; i < 3; i++) {
                threads.add(start(i, nodes.get(i), data, stop));
            }
            await(() -> roundsInGroup(0) >= 3 || !failures.isEmpty(), "the first three peers finished 3 rounds");
            threads.add(start(3, nodes.get(3), data, stop));
            await(() -> roundsInGroup(3) >= 2 || !failures.isEmpty(), "the joiner finished 2 rounds in a group");
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(120));
            }
        } finally {
            stop.set(true);
            nodes.forEach(PeerNode::close);
        }
        assertEquals(List.of(), failures);
        List<MeshDiloco.RoundOutcome> joined = outcomes.get(3);
        MeshDiloco.RoundOutcome first = joined.getFirst();
        assertTrue(first.round() >= 4, "the joiner started from the run's round, not round 1: " + first.round());
        for (MeshDiloco.RoundOutcome mine : joined) {
            if (mine.groupSize() == 0) {
                continue;
            }
            for (int peer = 0; peer < 3; peer++) {
                for (MeshDiloco.RoundOutcome theirs : outcomes.get(peer)) {
                    if (theirs.round() == mine.round() && theirs.groupSize() > 0) {
                        assertEquals(theirs.stateHash(), mine.stateHash(), "round " + mine.round() + " peer " + peer);
                    }
                }
            }
        }
        assertTrue(joined.stream().limit(2).anyMatch(o -> o.groupSize() == 4),
                "the joiner took part in a full group within two rounds: " + joined);
    }
}
