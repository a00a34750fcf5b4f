package dev.starling.peer.node;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.dashboard.RunSnapshot;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.pubsub.GossipSub;
import dev.starling.p2p.pubsub.GossipsubConfig;
import dev.starling.p2p.pubsub.PeerScoreParams;
import dev.starling.p2p.pubsub.RpcLimits;
import dev.starling.peer.cli.UserError;
import dev.starling.protocol.RunProtocols;
import dev.starling.protocol.admission.JoinToken;
import dev.starling.protocol.telemetry.PeerStatus;
import dev.starling.protocol.telemetry.RunEvent;
import dev.starling.protocol.telemetry.TelemetryCodec;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The token admission policy over real libp2p on loopback: who may join, and what the gossip gate drops. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AdmissionTest {
    private static final String MANIFEST = "[run]\nname = \"admission-test\"\n[admission]\npolicy = \"token\"\n";
    private static final List<Multiaddr> LOOPBACK = List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"));

    private static JoinToken mint(PrivateKey runKey, String runId, PrivateKey peer) {
        String id = peer.publicKey().toPeerId().toBase58();
        return new JoinToken(runId, id, 0, runKey.sign(JoinToken.signingPayload(runId, id, 0)));
    }

    private static void waitFor(BooleanSupplier condition, Runnable poke, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            poke.run(); // gossip drops messages until the mesh forms, so the sender repeats; the condition ends it
            TimeUnit.MILLISECONDS.sleep(250);
        }
    }

    private static boolean shows(CoordinatorNode coordinator, String peerId) {
        RunSnapshot s = coordinator.view().view().snapshot();
        return s.peers().stream().anyMatch(p -> p.status().peerId().equals(peerId));
    }

    @Test
    void shouldAdmitOnlyPeersWithATokenForTheirOwnId(@TempDir Path dir) throws Exception {
        PrivateKey runKey = Keys.ed25519ForTest(800);
        Path manifest = Files.writeString(dir.resolve("run.toml"), MANIFEST);
        CoordinatorConfig config = new CoordinatorConfig(manifest, runKey, LOOPBACK, List.of(),
                new DashboardConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "", 4));
        MultiThreadIoEventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        DefaultEventExecutor impostorOwner = new DefaultEventExecutor();
        PrivateKey admittedKey = Keys.ed25519ForTest(801);
        PrivateKey impostorKey = Keys.ed25519ForTest(804);
        try (CoordinatorNode coordinator = CoordinatorNode.start(config);
             Host impostor = new HostBuilder().identity(impostorKey).eventLoops(loops).tcpTransport().build()) {
            String runId = coordinator.runId();
            JoinToken token = mint(runKey, runId, admittedKey);

            // A node that skips the local check: its telemetry is dropped, its borrowed token refused.
            GossipSub gossip = new GossipSub(impostor, GossipsubConfig.defaults(), PeerScoreParams.defaults(Map.of()),
                    RpcLimits.defaults(), impostorOwner, System::nanoTime);
            impostor.dial(coordinator.bootstrapAddresses().getFirst()).get(20, TimeUnit.SECONDS);
            String impostorId = impostor.peerId().toBase58();
            String telemetry = RunProtocols.telemetryTopic(runId);
            gossip.subscribe(telemetry, m -> { }).get(10, TimeUnit.SECONDS);
            gossip.subscribe(RunProtocols.admissionTopic(runId), m -> { }).get(10, TimeUnit.SECONDS);
            byte[] status = TelemetryCodec.encode(new PeerStatus(impostorId, "x", "cpu", 0, 1, 1, 1, 1, 1, 0, 0, 1, "h"));
            waitFor(() -> coordinator.admission().rejectedMessages() > 0, () -> gossip.publish(telemetry, status),
                    "the coordinator dropped the impostor's telemetry");
            waitFor(() -> coordinator.view().view().snapshot().events().stream().anyMatch(e -> e.event().kind()
                            == RunEvent.Kind.ACCUSED && e.event().peerId().equals(impostorId)
                            && e.event().detail().contains("issued to another peer id")),
                    () -> gossip.publish(RunProtocols.admissionTopic(runId), token.encode()),
                    "the coordinator refused the borrowed token");
            assertTrue(!shows(coordinator, impostorId), "telemetry from a peer that is not admitted was shown");
            assertTrue(coordinator.admission().refuses(impostor.peerId()), "a refused token keeps its peer out");
            assertTrue(!coordinator.admission().refuses(admittedKey.publicKey().toPeerId()),
                    "a peer whose token was not seen yet is not refused as a group member");
            gossip.close();

            UserError none = assertThrows(UserError.class, () -> PeerNode.join(Keys.ed25519ForTest(802), LOOPBACK,
                    List.of(), coordinator.bootstrapAddresses(), null));
            assertTrue(none.getMessage().contains("admits peers with a join token"), none.getMessage());
            UserError borrowed = assertThrows(UserError.class, () -> PeerNode.join(Keys.ed25519ForTest(803),
                    LOOPBACK, List.of(), coordinator.bootstrapAddresses(), token));
            assertTrue(borrowed.getMessage().contains("issued to another peer id"), borrowed.getMessage());

            try (PeerNode admitted = PeerNode.join(admittedKey, LOOPBACK, List.of(), coordinator.bootstrapAddresses(),
                    token)) {
                PeerStatus own = new PeerStatus(admitted.peerId(), "test", "cpu", 0, 1, 1, 1, 1, 1, 0, 0, 1, "h");
                waitFor(() -> shows(coordinator, admitted.peerId()), () -> admitted.publish(own),
                        "the admitted peer's telemetry reached the dashboard");
                assertTrue(!admitted.refusesMember(admittedKey.publicKey().toPeerId()),
                        "an admitted peer is a fine member");
            }
            assertTrue(!shows(coordinator, impostorId));
        } finally {
            impostorOwner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
