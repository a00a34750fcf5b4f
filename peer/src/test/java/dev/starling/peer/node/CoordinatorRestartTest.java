package dev.starling.peer.node;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.dashboard.RunSnapshot;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator is never on the training path and survives its own restart: with it down the peers keep
 * completing rounds; a new coordinator with the same key on the same address is redialed by the peers and rebuilds
 * its view (peers, rounds) from their gossip alone.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class CoordinatorRestartTest {
    private static final String MANIFEST = """
            [run]
            name = "restart-test"
            seed = 11
            [model]
            layers = 1
            heads = 2
            channels = 32
            block_size = 32
            [data]
            batch_size = 4
            [inner]
            steps = 4
            warmup_steps = 2
            [deadlines]
            round_max_s = 30
            matchmaking_s = 10
            """;

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    private static boolean seesAll(CoordinatorNode coordinator, List<RunningPeer> peers, long afterRound) {
        RunSnapshot s = coordinator.view().view().snapshot();
        boolean all = peers.stream().allMatch(p -> s.peers().stream().anyMatch(r -> r.alive()
                && r.status().peerId().equals(p.node().peerId())));
        return all && !s.rounds().isEmpty() && s.rounds().getLast().round() > afterRound;
    }

    @Test
    void shouldKeepTrainingWhileTheCoordinatorIsDownAndRebuildItsViewFromGossip(@TempDir Path dir)
            throws Exception {
        PrivateKey runKey = Keys.ed25519ForTest(600);
        Path manifest = Files.writeString(dir.resolve("run.toml"), MANIFEST);
        DashboardConfig dashboard = new DashboardConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                "", 4);
        CoordinatorNode first = CoordinatorNode.start(new CoordinatorConfig(manifest, runKey,
                List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")), List.of(), dashboard));
        List<Multiaddr> bootstrap = first.bootstrapAddresses();
        String address = bootstrap.getFirst().toString();
        Multiaddr sameAddress = Multiaddr.fromString(address.substring(0, address.indexOf("/p2p/")));
        List<RunningPeer> peers = new ArrayList<>();
        CoordinatorNode second = null;
        boolean firstClosed = false;
        try {
            TokenDataset data = ManifestTraining.dataset(first.manifest(), null);
            for (int i = 0; i < 2; i++) {
                peers.add(new RunningPeer(PeerNode.join(Keys.ed25519ForTest(601 + i),
                        List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")), bootstrap), data, i));
            }
            CoordinatorNode watched = first;
            waitFor(() -> seesAll(watched, peers, 0), "the first coordinator saw both peers and a round");
            first.close();
            firstClosed = true;

            long before = peers.getFirst().rounds();
            waitFor(() -> peers.stream().allMatch(p -> p.rounds() >= before + 3),
                    "the peers completed three rounds without a coordinator");

            second = CoordinatorNode.start(new CoordinatorConfig(manifest, runKey, List.of(sameAddress), List.of(),
                    dashboard));
            assertTrue(second.view().view().snapshot().peers().isEmpty(), "a new coordinator starts with no view");
            CoordinatorNode restarted = second;
            long lastRound = peers.getFirst().rounds();
            waitFor(() -> seesAll(restarted, peers, lastRound), "the restarted coordinator rebuilt its view from"
                    + " gossip: both peers alive and a round after the restart");
        } finally {
            for (RunningPeer p : peers) {
                p.close();
            }
            if (!firstClosed) {
                first.close();
            }
            if (second != null) {
                second.close();
            }
        }
    }
}
