package dev.starling.coordinator.node;

import dev.starling.coordinator.admission.AdmissionGate;
import dev.starling.coordinator.dashboard.AdminActions;
import dev.starling.coordinator.dashboard.DashboardServer;
import dev.starling.coordinator.dashboard.RunViewLoop;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.oneshot.OneMessageProtocol;
import dev.starling.p2p.pubsub.GossipSub;
import dev.starling.p2p.pubsub.GossipsubConfig;
import dev.starling.p2p.pubsub.PeerScoreParams;
import dev.starling.p2p.pubsub.RpcLimits;
import dev.starling.p2p.pubsub.TopicScoreParams;
import dev.starling.protocol.RunProtocols;
import dev.starling.protocol.admission.AdmissionPolicy;
import dev.starling.protocol.manifest.ManifestCodec;
import dev.starling.protocol.manifest.ManifestParser;
import dev.starling.protocol.manifest.RunManifest;
import dev.starling.protocol.manifest.SignedManifest;
import dev.starling.protocol.telemetry.RunEvent;
import dev.starling.protocol.telemetry.TelemetryCodec;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A running coordinator: a libp2p host that serves the signed manifest and is the run's bootstrap
 * address, a gossipsub router subscribed to the run's telemetry, the {@link RunViewLoop} that folds it,
 * and the dashboard. It is never on the training path: peers keep training if it dies.
 * Threads: the host's event loop, the gossip owner executor, the view's owner thread and the dashboard's
 * request threads, all owned here and stopped by {@link #close()}.
 */
public final class CoordinatorNode implements AutoCloseable {
    /** A peer that sent no status for this long shows as lost. */
    public static final long LIVENESS_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final EventLoopGroup loops;
    private final DefaultEventExecutor gossipOwner;
    private final Host host;
    private final GossipSub gossip;
    private final RunViewLoop view;
    private final DashboardServer dashboard;
    private final RunManifest manifest;
    private final String runId;
    private final List<Multiaddr> bootstrap;
    private final AdmissionGate admission;

    private CoordinatorNode(CoordinatorConfig config, String toml) throws IOException, InterruptedException {
        this.manifest = ManifestParser.parse(toml);
        this.runId = ManifestCodec.runId(manifest);
        byte[] signed = new SignedManifest(toml, config.identity().sign(SignedManifest.signingPayload(toml)))
                .encode();
        this.loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.gossipOwner = new DefaultEventExecutor();
        this.host = new HostBuilder().identity(config.identity()).eventLoops(loops).tcpTransport().build();
        OneMessageProtocol.serve(host, RunProtocols.MANIFEST, () -> signed);
        String topic = RunProtocols.telemetryTopic(runId);
        this.gossip = new GossipSub(host, GossipsubConfig.defaults(),
                PeerScoreParams.defaults(Map.of(topic, TopicScoreParams.defaults())), RpcLimits.defaults(),
                gossipOwner, System::nanoTime);
        this.view = new RunViewLoop(System::nanoTime, config.livenessNanos());
        view.setRunId(runId);
        view.setShape(manifest.model().stages(), manifest.model().layers());
        gossip.subscribe(topic, message -> view.offer(message.data(),
                new dev.starling.p2p.core.PeerId(message.from()).toBase58()));
        // Subscribed so that it relays group formation until the peers have dialed each other directly.
        gossip.subscribe(RunProtocols.roundTopic(runId), message -> { });
        String self = host.peerId().toBase58();
        AdmissionPolicy policy = new AdmissionPolicy(manifest.admission(), runId, self,
                config.identity().publicKey()::verify);
        this.admission = AdmissionGate.install(gossip, gossipOwner, policy, runId,
                List.of(topic, RunProtocols.roundTopic(runId)), null, () -> System.currentTimeMillis() / 1000,
                new AdmissionGate.Listener() {
                    @Override
                    public void admitted(String peerId) {
                        view.offer(new RunEvent(RunEvent.Kind.JOINED, peerId, "showed a valid join token"), self);
                    }

                    @Override
                    public void refused(String peerId, String why) {
                        view.offer(new RunEvent(RunEvent.Kind.ACCUSED, peerId, "not admitted: " + why), self);
                    }
                }, AdmissionGate.HostLimit.fromConnections(manifest.admission().maxPeersPerHost(), host));
        List<Multiaddr> bound = new ArrayList<>();
        for (Multiaddr address : config.listen()) {
            bound.add(await(host.listen(address), "listen on " + address));
        }
        List<Multiaddr> advertised = config.announce().isEmpty() ? bound : config.announce();
        this.bootstrap = advertised.stream()
                .map(a -> Multiaddr.fromString(a + "/p2p/" + host.peerId().toBase58())).toList();
        this.dashboard = new DashboardServer(view.view(), new AdminActions() {
            @Override
            public void ban(String peerId, String reason) {
                // The view stops showing it; the gossiped event makes every peer drop it from groups too.
                view.ban(peerId, reason);
                admission.ban(peerId);
                gossip.publish(topic, TelemetryCodec.encode(new RunEvent(RunEvent.Kind.BANNED, peerId, reason)));
            }

            @Override
            public void endRun() {
                view.endRun();
            }
        }, config.dashboard());
    }

    /**
     * Reads the manifest, starts the host, gossip and dashboard.
     *
     * @param config the checked configuration
     * @return the running coordinator
     * @throws IOException          if the manifest cannot be read or an address cannot be bound
     * @throws InterruptedException if interrupted while binding
     */
    public static CoordinatorNode start(CoordinatorConfig config) throws IOException, InterruptedException {
        String toml = Files.readString(config.manifest());
        return new CoordinatorNode(config, toml);
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> future, String what)
            throws IOException, InterruptedException {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IOException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("cannot " + what + ": timed out", e);
        }
    }

    /**
     * The addresses peers pass to {@code --join}, each ending in {@code /p2p/<coordinator id>}.
     *
     * @return the bootstrap multiaddrs
     */
    public List<Multiaddr> bootstrapAddresses() {
        return bootstrap;
    }

    /**
     * The run id derived from the manifest.
     *
     * @return 64 hex digits
     */
    public String runId() {
        return runId;
    }

    /**
     * The checked manifest being served.
     *
     * @return the manifest
     */
    public RunManifest manifest() {
        return manifest;
    }

    /**
     * The dashboard's port.
     *
     * @return the bound port
     */
    public int dashboardPort() {
        return dashboard.port();
    }

    /**
     * The run view, for tests and the command line's summary line.
     *
     * @return the view loop
     */
    public RunViewLoop view() {
        return view;
    }

    /**
     * The admission gate on this coordinator's gossip (for tests and counters).
     *
     * @return the gate
     */
    public AdmissionGate admission() {
        return admission;
    }

    /** Stops the dashboard, gossip, the host and every thread this node started. */
    @Override
    public void close() {
        admission.close();
        dashboard.close();
        view.close();
        gossip.close();
        host.close();
        gossipOwner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
