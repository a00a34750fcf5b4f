package dev.starling.peer.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.dashboard.RunSnapshot;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.pubsub.GossipSub;
import dev.starling.p2p.pubsub.GossipsubConfig;
import dev.starling.p2p.pubsub.PeerScoreParams;
import dev.starling.p2p.pubsub.RpcLimits;
import dev.starling.protocol.RunProtocols;
import dev.starling.protocol.telemetry.PeerStatus;
import dev.starling.protocol.telemetry.TelemetryCodec;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sybil joins: one host (this machine's loopback address) brings five peer ids into an open run whose manifest caps
 * peers per host at two. The coordinator's admission gate shows exactly two on the dashboard and refuses the other
 * three as group members, over real libp2p.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class SybilAdmissionTest {
    private static final int IDS = 5;
    private static final int CAP = 2;
    private static final String MANIFEST = "[run]\nname = \"sybil-test\"\n[admission]\npolicy = \"open\"\n"
            + "max_peers_per_host = " + CAP + "\n";
    private static final List<Multiaddr> LOOPBACK = List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"));

    private static long shown(CoordinatorNode coordinator, List<Host> sybils) {
        RunSnapshot s = coordinator.view().view().snapshot();
        return sybils.stream().filter(h -> s.peers().stream()
                .anyMatch(p -> p.status().peerId().equals(h.peerId().toBase58()))).count();
    }

    private static long refused(CoordinatorNode coordinator, List<Host> sybils) {
        return sybils.stream().filter(h -> coordinator.admission().refuses(h.peerId())).count();
    }

    @Test
    void shouldAdmitOnlyTheCapOfPeerIdsFromOneHost(@TempDir Path dir) throws Exception {
        Path manifest = Files.writeString(dir.resolve("run.toml"), MANIFEST);
        CoordinatorConfig config = new CoordinatorConfig(manifest, Keys.ed25519ForTest(810), LOOPBACK, List.of(),
                new DashboardConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "", 4));
        MultiThreadIoEventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        DefaultEventExecutor owner = new DefaultEventExecutor();
        List<Host> sybils = new ArrayList<>();
        List<GossipSub> routers = new ArrayList<>();
        try (CoordinatorNode coordinator = CoordinatorNode.start(config)) {
            String telemetry = RunProtocols.telemetryTopic(coordinator.runId());
            for (int i = 0; i < IDS; i++) {
                Host h = new HostBuilder().identity(Keys.ed25519ForTest(811 + i)).eventLoops(loops).tcpTransport()
                        .build();
                sybils.add(h);
                GossipSub gossip = new GossipSub(h, GossipsubConfig.defaults(), PeerScoreParams.defaults(Map.of()),
                        RpcLimits.defaults(), owner, System::nanoTime);
                routers.add(gossip);
                h.dial(coordinator.bootstrapAddresses().getFirst()).get(20, TimeUnit.SECONDS);
                gossip.subscribe(telemetry, m -> { }).get(10, TimeUnit.SECONDS);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (shown(coordinator, sybils) + refused(coordinator, sybils) < IDS) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out: " + shown(coordinator, sybils) + " shown, "
                            + refused(coordinator, sybils) + " refused of " + IDS);
                }
                for (int i = 0; i < IDS; i++) {
                    String id = sybils.get(i).peerId().toBase58();
                    // Gossip drops messages until the mesh forms, so each id repeats; the loop's condition ends it.
                    routers.get(i).publish(telemetry, TelemetryCodec.encode(
                            new PeerStatus(id, "x", "cpu", 0, 1, 1, 1, 1, 1, 0, 0, 1, "h")));
                }
                TimeUnit.MILLISECONDS.sleep(250);
            }
            assertEquals(CAP, shown(coordinator, sybils), "ids shown on the dashboard");
            assertEquals(IDS - CAP, refused(coordinator, sybils), "ids refused as group members");
        } finally {
            routers.forEach(GossipSub::close);
            sybils.forEach(Host::close);
            owner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
