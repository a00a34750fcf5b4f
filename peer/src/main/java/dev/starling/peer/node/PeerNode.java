package dev.starling.peer.node;

import dev.starling.coordinator.admission.AdmissionGate;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.emulation.LinkEmulation;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.relay.CircuitRelayTransport;
import dev.starling.p2p.protocol.oneshot.OneMessageProtocol;
import dev.starling.p2p.pubsub.GossipSub;
import dev.starling.p2p.pubsub.GossipsubConfig;
import dev.starling.p2p.pubsub.PeerScoreParams;
import dev.starling.p2p.pubsub.RpcLimits;
import dev.starling.peer.cli.UserError;
import dev.starling.protocol.RunProtocols;
import dev.starling.protocol.admission.JoinToken;
import dev.starling.protocol.manifest.ManifestCodec;
import dev.starling.protocol.manifest.ManifestException;
import dev.starling.protocol.manifest.ManifestParser;
import dev.starling.protocol.manifest.RunManifest;
import dev.starling.protocol.manifest.SignedManifest;
import dev.starling.protocol.telemetry.RunEvent;
import dev.starling.protocol.telemetry.TelemetryCodec;
import dev.starling.protocol.telemetry.TelemetryMessage;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One peer's presence on the mesh: its host, the gossip router, and the run it joined. Joining
 * dials the bootstrap addresses, fetches the signed manifest from the first that answers, checks the
 * signature against the peer id in the address it dialed (so a man in the middle cannot hand out
 * another run), parses the manifest, and subscribes to the run's telemetry topic.
 * Threads: the host's event loop and the gossip owner executor, owned here; {@link #close()} stops them.
 */
public final class PeerNode implements AutoCloseable {
    /** How long joining waits for a dial or the manifest. */
    public static final long JOIN_TIMEOUT_SECONDS = 20;

    private final EventLoopGroup loops;
    private final DefaultEventExecutor gossipOwner;
    private final Host host;
    private final GossipSub gossip;
    private final RunManifest manifest;
    private final String runId;
    private final String telemetryTopic;
    private final List<Multiaddr> announce;
    private PeerId runKey;
    private AdmissionGate admission;
    private BootstrapRedial redial;
    private volatile java.util.function.Consumer<RunEvent> runEvents = event -> { };

    private PeerNode(PrivateKey identity, List<Multiaddr> listen, List<Multiaddr> announce, List<Multiaddr> join,
                     JoinToken token, LinkEmulation links) {
        this.announce = List.copyOf(announce);
        this.loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        this.gossipOwner = new DefaultEventExecutor();
        HostBuilder builder = new HostBuilder().identity(identity).eventLoops(loops).tcpTransport();
        if (links != null) {
            builder.linkEmulation(links);
        }
        // circuit relay v2: dial /p2p-circuit addresses, and listen through relays given as RELAY/p2p-circuit
        this.host = CircuitRelayTransport.install(builder).build();
        // Gossip starts before the first dial so it sees every connection, the bootstrap one included.
        this.gossip = new GossipSub(host, GossipsubConfig.defaults(), PeerScoreParams.defaults(Map.of()),
                RpcLimits.defaults(), gossipOwner, System::nanoTime);
        try {
            for (Multiaddr address : listen) {
                await(host.listen(address), "listen on " + address);
            }
            SignedManifest signed = fetchManifest(join);
            this.manifest = ManifestParser.parse(signed.toml());
            this.runId = ManifestCodec.runId(manifest);
            this.telemetryTopic = RunProtocols.telemetryTopic(runId);
            await(gossip.subscribe(telemetryTopic, this::fromRunKey), "subscribe to telemetry");
            this.admission = PeerAdmission.install(this, gossipOwner, token);
            this.redial = new BootstrapRedial(host, gossipOwner, runKey, join);
        } catch (RuntimeException e) {
            gossip.close();
            closeNetwork();
            throw e;
        }
    }

    /**
     * Starts a host and joins the run behind {@code join}.
     *
     * @param identity this peer's key
     * @param listen   addresses to listen on
     * @param join     bootstrap addresses, each ending in {@code /p2p/<id>}
     * @return the joined node
     * @throws UserError if no bootstrap address answers, or the manifest is unsigned, forged or invalid
     */
    public static PeerNode join(PrivateKey identity, List<Multiaddr> listen, List<Multiaddr> join) {
        return join(identity, listen, List.of(), join);
    }

    /**
     * Starts a host and joins the run behind {@code join}, advertising {@code announce} to other peers.
     *
     * @param identity this peer's key
     * @param listen   addresses to listen on
     * @param announce addresses other peers should dial instead of the listen addresses, or empty
     * @param join     bootstrap addresses, each ending in {@code /p2p/<id>}
     * @return the joined node
     * @throws UserError if no bootstrap address answers, or the manifest is unsigned, forged or invalid
     */
    public static PeerNode join(PrivateKey identity, List<Multiaddr> listen, List<Multiaddr> announce,
                                List<Multiaddr> join) {
        return join(identity, listen, announce, join, (JoinToken) null);
    }

    /**
     * Starts a host and joins the run behind {@code join}, showing {@code token} to the run's other nodes.
     *
     * @param identity this peer's key
     * @param listen   addresses to listen on
     * @param announce addresses other peers should dial instead of the listen addresses, or empty
     * @param join     bootstrap addresses, each ending in {@code /p2p/<id>}
     * @param token    this peer's join token (runs with {@code policy = "token"}), or null
     * @return the joined node
     * @throws UserError if no bootstrap address answers, the manifest is unsigned, forged or invalid, or the run's
     *                   admission policy does not admit this peer
     */
    public static PeerNode join(PrivateKey identity, List<Multiaddr> listen, List<Multiaddr> announce,
                                List<Multiaddr> join, JoinToken token) {
        return join(identity, listen, announce, join, token, null);
    }

    /**
     * Starts a host whose links are emulated (experiments: rate, delay, loss; see {@link LinkEmulation}) and joins
     * the run behind {@code join}, showing {@code token} to the run's other nodes.
     *
     * @param identity this peer's key
     * @param listen   addresses to listen on
     * @param announce addresses other peers should dial instead of the listen addresses, or empty
     * @param join     bootstrap addresses, each ending in {@code /p2p/<id>}
     * @param token    this peer's join token (runs with {@code policy = "token"}), or null
     * @param links    the emulated links, or {@code null} for real ones
     * @return the joined node
     * @throws UserError if no bootstrap address answers, the manifest is unsigned, forged or invalid, or the run's
     *                   admission policy does not admit this peer
     */
    public static PeerNode join(PrivateKey identity, List<Multiaddr> listen, List<Multiaddr> announce,
                                List<Multiaddr> join, JoinToken token, LinkEmulation links) {
        if (join.isEmpty()) {
            throw new UserError("give at least one --join address (the coordinator prints it when it starts)");
        }
        for (Multiaddr address : join) {
            if (address.peerId().isEmpty()) {
                throw new UserError("--join " + address + " lacks /p2p/<peer id>; copy the whole address the"
                        + " coordinator printed");
            }
        }
        return new PeerNode(identity, listen, announce, join, token, links);
    }

    private SignedManifest fetchManifest(List<Multiaddr> join) {
        List<String> failures = new ArrayList<>();
        for (Multiaddr address : join) {
            PeerId coordinator = address.peerId().orElseThrow();
            try {
                await(host.dial(address), "dial " + address);
                byte[] bytes = await(OneMessageProtocol.fetch(host, coordinator, RunProtocols.MANIFEST,
                        SignedManifest.MAX_ENCODED_BYTES), "fetch the manifest from " + address);
                SignedManifest signed = SignedManifest.decode(bytes);
                PublicKey key = coordinator.publicKey().orElseThrow(() -> new UserError("peer id " + coordinator
                        + " does not embed its key; join through the coordinator's Ed25519 id"));
                if (!key.verify(SignedManifest.signingPayload(signed.toml()), signed.signature())) {
                    throw new UserError("the manifest from " + address + " is not signed by " + coordinator
                            + "; refusing to join");
                }
                runKey = coordinator;
                return signed;
            } catch (ManifestException e) {
                throw new UserError("the run's manifest cannot be honoured: " + e.getMessage(), e);
            } catch (JoinFailure e) {
                failures.add(e.getMessage());
            }
        }
        throw new UserError("could not join: " + String.join("; ", failures));
    }

    private static final class JoinFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        JoinFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static <T> T await(CompletableFuture<T> future, String what) {
        try {
            return future.get(JOIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new JoinFailure("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new JoinFailure("cannot " + what + ": no answer in " + JOIN_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JoinFailure("interrupted while trying to " + what, e);
        }
    }

    /**
     * Publishes telemetry on the run's topic (fire and forget: telemetry is never worth blocking training).
     *
     * @param message the message
     */
    public void publish(TelemetryMessage message) {
        gossip.publish(telemetryTopic, TelemetryCodec.encode(message));
    }

    /**
     * The manifest this peer joined with.
     *
     * @return the checked manifest
     */
    public RunManifest manifest() {
        return manifest;
    }

    /**
     * The run id.
     *
     * @return 64 hex digits
     */
    public String runId() {
        return runId;
    }

    /**
     * This peer's id.
     *
     * @return the peer id in base58
     */
    public String peerId() {
        return host.peerId().toBase58();
    }

    private void fromRunKey(dev.starling.p2p.pubsub.PubsubMessage message) {
        if (runKey == null || !runKey.equals(new PeerId(message.from()))) {
            return; // only the run owner's node speaks for the run; peers' own telemetry is for the dashboard
        }
        try {
            if (TelemetryCodec.decode(message.data()) instanceof RunEvent event) {
                if (event.kind() == RunEvent.Kind.BANNED && admission != null) {
                    admission.ban(event.peerId());
                }
                runEvents.accept(event);
            }
        } catch (dev.starling.protocol.telemetry.BadTelemetryException e) {
            // a malformed message from the coordinator is dropped like any other
        }
    }

    /**
     * Hears the run owner's events (bans), on the gossip thread; banned peers are already dropped from this node's
     * groups when it is called.
     *
     * @param listener must be quick and must not throw
     */
    public void onRunEvent(java.util.function.Consumer<RunEvent> listener) {
        this.runEvents = listener;
    }

    /**
     * The run key's peer id: the node whose signature on the manifest this peer checked (the coordinator).
     *
     * @return the peer id
     */
    public PeerId runKey() {
        return runKey;
    }

    /**
     * Whether the run's admission gate has reason to keep {@code peer} out of a group (policy, ban, refused token);
     * see {@link AdmissionGate#refuses}. A roster naming such a peer was not formed by honest matchmaking.
     *
     * @param peer a roster member
     * @return true if it must not be a member
     */
    public boolean refusesMember(PeerId peer) {
        AdmissionGate gate = admission;
        return gate != null && gate.refuses(peer);
    }

    /**
     * The host, for services that run their own protocols on it.
     *
     * @return the host
     */
    public Host host() {
        return host;
    }

    /**
     * The gossip router.
     *
     * @return the router
     */
    public GossipSub gossip() {
        return gossip;
    }

    /**
     * Addresses other peers can dial: the announced ones if any, else the listen addresses with the wildcard
     * {@code 0.0.0.0} expanded to this machine's IPv4 interface addresses and loopback.
     *
     * @return dialable multiaddrs without {@code /p2p}
     */
    public List<String> dialableAddresses() {
        if (!announce.isEmpty()) {
            return announce.stream().map(Multiaddr::toString).toList();
        }
        List<String> out = new ArrayList<>();
        for (Multiaddr address : host.listenAddresses()) {
            String text = address.toString();
            if (!text.startsWith("/ip4/0.0.0.0/")) {
                out.add(text);
                continue;
            }
            String rest = text.substring("/ip4/0.0.0.0".length());
            for (String ip : interfaceAddresses()) {
                out.add("/ip4/" + ip + rest);
            }
            out.add("/ip4/127.0.0.1" + rest);
        }
        return out.subList(0, Math.min(out.size(), dev.starling.collectives.mesh.RoundMessage.MAX_ADDRESSES));
    }

    private static List<String> interfaceAddresses() {
        List<String> out = new ArrayList<>();
        try {
            for (NetworkInterface nic : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        out.add(a.getHostAddress());
                    }
                }
            }
        } catch (SocketException e) {
            // no interface list: loopback only
        }
        return out;
    }

    /**
     * Peers this node is connected to now.
     *
     * @return the connection count
     */
    public int connectedPeers() {
        return host.connections().size();
    }

    private void closeNetwork() {
        host.close();
        gossipOwner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** Leaves the mesh and stops the node's threads. */
    @Override
    public void close() {
        if (admission != null) {
            admission.close();
        }
        if (redial != null) {
            redial.close();
        }
        gossip.close();
        closeNetwork();
    }
}
