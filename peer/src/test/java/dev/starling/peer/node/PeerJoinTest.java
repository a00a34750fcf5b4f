package dev.starling.peer.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.dashboard.RunSnapshot;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.oneshot.OneMessageProtocol;
import dev.starling.peer.cli.UserError;
import dev.starling.protocol.RunProtocols;
import dev.starling.protocol.manifest.SignedManifest;
import dev.starling.protocol.telemetry.PeerStatus;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PeerJoinTest {
    private static final String MANIFEST = "[run]\nname = \"join-test\"\nseed = 3\n[inner]\nsteps = 10\n";
    private static final List<Multiaddr> LOOPBACK = List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"));

    private static CoordinatorConfig coordinatorConfig(Path manifest) {
        return new CoordinatorConfig(manifest, Keys.ed25519ForTest(900), LOOPBACK, List.of(),
                new DashboardConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "token123", 4));
    }

    @Test
    void shouldJoinWithAVerifiedManifestAndShowUpOnTheDashboard(@TempDir Path dir) throws Exception {
        Path manifest = Files.writeString(dir.resolve("run.toml"), MANIFEST);
        try (CoordinatorNode coordinator = CoordinatorNode.start(coordinatorConfig(manifest));
             PeerNode peer = PeerNode.join(Keys.ed25519ForTest(901), LOOPBACK, coordinator.bootstrapAddresses())) {
            assertEquals(coordinator.runId(), peer.runId());
            assertEquals(10, peer.manifest().inner().steps());
            CompletableFuture<RunSnapshot> seen = new CompletableFuture<>();
            coordinator.view().view().addListener(s -> {
                if (!s.peers().isEmpty()) {
                    seen.complete(s);
                }
            });
            PeerStatus status = new PeerStatus(peer.peerId(), "test", "cpu", 0, 0, 1, 10, 100, 4.0, 0, 0, 1, "none");
            RunSnapshot snapshot = null;
            for (int attempt = 0; attempt < 60 && snapshot == null; attempt++) {
                peer.publish(status); // gossip may drop messages until the mesh forms; the future ends the loop
                try {
                    snapshot = seen.get(1, TimeUnit.SECONDS);
                } catch (TimeoutException notYet) {
                    // publish again
                }
            }
            assertTrue(snapshot != null, "the coordinator never received the peer's telemetry");
            assertEquals(peer.peerId(), snapshot.peers().getFirst().status().peerId());
        }
    }

    @Test
    void shouldJoinThroughARelayAndAnnounceTheCircuitAddress(@TempDir Path dir) throws Exception {
        Path manifest = Files.writeString(dir.resolve("run.toml"), MANIFEST);
        MultiThreadIoEventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (Host relay = new HostBuilder().identity(Keys.ed25519ForTest(960)).eventLoops(loops).tcpTransport()
                .build();
             CoordinatorNode coordinator = CoordinatorNode.start(coordinatorConfig(manifest))) {
            dev.starling.p2p.relay.CircuitRelayServer.install(relay, dev.starling.p2p.relay.RelayConfig.defaults(),
                    loops.next(), System::currentTimeMillis);
            Multiaddr relayAddr = relay.listen(LOOPBACK.getFirst()).get(5, TimeUnit.SECONDS).withPeerId(relay.peerId());
            List<Multiaddr> listen = new java.util.ArrayList<>(LOOPBACK);
            listen.addAll(NodeOptions.relayListenAddresses(List.of(relayAddr.toString())));
            try (PeerNode peer = PeerNode.join(Keys.ed25519ForTest(961), listen, coordinator.bootstrapAddresses());
                 Host other = dev.starling.p2p.relay.CircuitRelayTransport.install(new HostBuilder()
                         .identity(Keys.ed25519ForTest(962)).eventLoops(loops).tcpTransport()).build()) {
                String circuit = relayAddr + "/p2p-circuit";
                assertTrue(peer.dialableAddresses().contains(circuit), peer.dialableAddresses().toString());
                dev.starling.p2p.core.Connection c = other.dial(Multiaddr.fromString(circuit)
                        .withPeerId(Keys.ed25519ForTest(961).publicKey().toPeerId())).get(10, TimeUnit.SECONDS);
                assertTrue(c.remoteAddress().toString().contains("/p2p-circuit"));
            }
        } finally {
            loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    @Test
    void shouldRejectARelayAddressWithoutPeerId() {
        UserError e = assertThrows(UserError.class, () -> NodeOptions.relayListenAddresses(
                List.of("/ip4/127.0.0.1/tcp/4001")));
        assertTrue(e.getMessage().startsWith("--relay"), e.getMessage());
    }

    @Test
    void shouldRefuseAManifestNotSignedByTheDialedPeer() throws Exception {
        MultiThreadIoEventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (Host impostor = new HostBuilder().identity(Keys.ed25519ForTest(950)).eventLoops(loops).tcpTransport()
                .build()) {
            byte[] forged = new SignedManifest(MANIFEST, Keys.ed25519ForTest(951)
                    .sign(SignedManifest.signingPayload(MANIFEST))).encode();
            OneMessageProtocol.serve(impostor, RunProtocols.MANIFEST, () -> forged);
            Multiaddr bound = impostor.listen(LOOPBACK.getFirst()).get(10, TimeUnit.SECONDS);
            Multiaddr address = bound.withPeerId(impostor.peerId());
            UserError error = assertThrows(UserError.class,
                    () -> PeerNode.join(Keys.ed25519ForTest(952), LOOPBACK, List.of(address)));
            assertTrue(error.getMessage().contains("is not signed by"), error.getMessage());
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    @Test
    void shouldAskForThePeerIdInTheJoinAddress() {
        UserError error = assertThrows(UserError.class, () -> PeerNode.join(Keys.ed25519ForTest(953), LOOPBACK,
                List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/1"))));
        assertTrue(error.getMessage().contains("lacks /p2p/"), error.getMessage());
    }
}
