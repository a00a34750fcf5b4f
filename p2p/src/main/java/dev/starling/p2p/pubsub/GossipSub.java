package dev.starling.p2p.pubsub;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ConnectionListener;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gossipsub service: runs a {@link GossipsubRouter} over a {@link Host}'s streams ({@code /meshsub/1.1.0},
 * {@code /meshsub/1.0.0}; uvarint-length-prefixed RPC protobufs). For every connection it opens one outbound stream
 * to write on; streams the remote opens are read-only. Signs with the host key (StrictSign).
 *
 * <p>Threads: the router and all maps here belong to the owner executor; stream callbacks run on connection threads
 * and post to it; the public methods may be called from any thread and return futures. Heartbeats are scheduled on
 * the owner. Subscription callbacks run on the owner thread and must not block. Bad frames from a peer reset that
 * stream (not the connection) and add a behaviour penalty.
 */
public final class GossipSub implements AutoCloseable {
    /** Protocol ids in order of preference. */
    public static final List<String> PROTOCOLS = List.of(PubsubProtocol.MESHSUB_V11.id(),
            PubsubProtocol.MESHSUB_V10.id());
    private static final Logger LOG = LoggerFactory.getLogger(GossipSub.class);

    private final Host host;
    private final EventExecutor owner;
    private final LongSupplier clock;
    private final GossipsubRouter router;
    private final GossipsubCodec codec;
    private final RpcLimits limits;
    /** Most RPCs queued for a peer whose outbound stream is still opening. */
    private static final int MAX_PENDING_RPCS = 64;
    private final Map<PeerKey, Stream> outbound = new HashMap<>();
    private final Map<PeerKey, List<Rpc>> pending = new HashMap<>();
    private final Map<String, List<Consumer<PubsubMessage>>> subscribers = new HashMap<>();
    private final List<BooleanSupplier> waiters = new ArrayList<>();
    private final ConnectionListener listener;
    private final ScheduledFuture<?> heartbeat;

    /**
     * Starts the service on a host.
     *
     * @param host   the host
     * @param config router parameters
     * @param scores score parameters
     * @param limits caps on received RPCs
     * @param owner  the owner executor (not shut down by {@link #close})
     * @param clock  monotonic nanos, read on the owner thread
     */
    public GossipSub(Host host, GossipsubConfig config, PeerScoreParams scores, RpcLimits limits,
                     EventExecutor owner, LongSupplier clock) {
        this(host, config, scores, limits, MessageIdFunction.FROM_AND_SEQNO, owner, clock);
    }

    /**
     * Starts the service with a chosen message-id function (e.g. {@link MessageIdFunction#JS_DEFAULT} so that
     * IHAVE/IWANT ids match js-libp2p peers).
     *
     * @param host       the host
     * @param config     router parameters
     * @param scores     score parameters
     * @param limits     caps on received RPCs
     * @param idFunction the message-id function
     * @param owner      the owner executor (not shut down by {@link #close})
     * @param clock      monotonic nanos, read on the owner thread
     */
    public GossipSub(Host host, GossipsubConfig config, PeerScoreParams scores, RpcLimits limits,
                     MessageIdFunction idFunction, EventExecutor owner, LongSupplier clock) {
        this.host = host;
        this.owner = owner;
        this.clock = clock;
        this.limits = limits;
        this.codec = new GossipsubCodec(limits);
        this.router = new GossipsubRouter(config, scores, SignaturePolicy.STRICT_SIGN,
                new HostKeySigning(host.privateKey()), HostKeySigning.verifier(), idFunction,
                java.util.Arrays.hashCode(host.peerId().bytes()));
        for (String protocol : PROTOCOLS) {
            host.setHandler(protocol, this::reader);
        }
        this.listener = new ConnectionListener() {
            @Override
            public void onConnected(Connection connection) {
                openOutbound(connection);
            }

            @Override
            public void onDisconnected(Connection connection) {
                PeerId peer = connection.remotePeer();
                owner.execute(() -> {
                    if (host.connection(peer).isEmpty()) {
                        dropPeer(new PeerKey(peer.bytes()));
                    }
                });
            }
        };
        host.addConnectionListener(listener);
        long interval = config.heartbeatInterval().toNanos();
        this.heartbeat = owner.scheduleAtFixedRate(() -> apply(router.heartbeat(clock.getAsLong())), interval,
                interval, TimeUnit.NANOSECONDS);
    }

    private void openOutbound(Connection connection) {
        PeerKey peer = new PeerKey(connection.remotePeer().bytes());
        connection.newStream(PROTOCOLS, this::reader).whenComplete((stream, error) -> owner.execute(() -> {
            if (error != null) {
                LOG.debug("{} does not speak gossipsub: {}", connection.remotePeer(), error.getMessage());
                return;
            }
            if (outbound.putIfAbsent(peer, stream) != null) {
                stream.closeWrite();
                return;
            }
            stream.closeFuture().thenRun(() -> owner.execute(() -> {
                if (outbound.remove(peer, stream)) {
                    dropPeer(peer);
                }
            }));
            apply(router.addPeer(peer, PubsubProtocol.fromId(stream.protocol()), connection.isInitiator(),
                    clock.getAsLong()));
            for (Rpc rpc : pending.getOrDefault(peer, List.of())) {
                write(stream, rpc);
            }
            pending.remove(peer);
        }));
    }

    private void dropPeer(PeerKey peer) {
        pending.remove(peer);
        Stream s = outbound.remove(peer);
        if (s != null) {
            s.reset();
        }
        apply(router.removePeer(peer, clock.getAsLong()));
    }

    /** Reads RPC frames from a stream (inbound ones; our outbound stream should stay silent but is read too). */
    private StreamHandler reader(Stream stream) {
        PeerKey peer = new PeerKey(stream.remotePeer().bytes());
        LengthPrefixedFrames frames = new LengthPrefixedFrames(limits.maxRpcSize());
        if (!stream.isInitiator()) {
            // The remote's RPCs may arrive before our own outbound stream is open: know the peer already.
            PubsubProtocol protocol = PubsubProtocol.fromId(stream.protocol());
            boolean dialed = stream.connection().isInitiator();
            owner.execute(() -> apply(router.addPeer(peer, protocol, dialed, clock.getAsLong())));
        }
        return new StreamHandler() {
            @Override
            public void onData(Stream s, ByteBuf data) {
                List<Rpc> rpcs = new ArrayList<>();
                try {
                    for (byte[] frame : frames.offer(data)) {
                        rpcs.add(codec.decode(frame));
                    }
                } catch (PubsubWireException | P2pException e) {
                    LOG.info("gossipsub: bad RPC from {}: {}", s.remotePeer(), e.getMessage());
                    owner.execute(() -> router.penalize(peer, 1));
                    s.reset();
                }
                if (!rpcs.isEmpty()) {
                    owner.execute(() -> {
                        for (Rpc rpc : rpcs) {
                            apply(router.handleRpc(peer, rpc, clock.getAsLong()));
                        }
                    });
                }
            }

            @Override
            public void onClosed(Stream s, boolean reset) {
                frames.release();
            }
        };
    }

    /** Sends, delivers and re-checks waiters; owner thread. */
    private void apply(RouterOutput out) {
        for (Map.Entry<PeerKey, Rpc> e : out.sends().entrySet()) {
            Stream stream = outbound.get(e.getKey());
            if (stream != null) {
                write(stream, e.getValue());
            } else {
                List<Rpc> queue = pending.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
                if (queue.size() < MAX_PENDING_RPCS) {
                    queue.add(e.getValue());
                }
            }
        }
        for (RouterOutput.Delivery d : out.deliveries()) {
            for (Consumer<PubsubMessage> c : subscribers.getOrDefault(d.message().topic(), List.of())) {
                try {
                    c.accept(d.message());
                } catch (RuntimeException ex) {
                    LOG.warn("gossipsub: subscriber of {} threw {}", d.message().topic(), ex.toString());
                }
            }
        }
        for (Rpc.PeerInfo px : out.peerExchange()) {
            LOG.debug("gossipsub: peer exchange suggested {} bytes of peer id", px.peerId().length);
        }
        waiters.removeIf(BooleanSupplier::getAsBoolean);
    }

    private void write(Stream stream, Rpc rpc) {
        for (byte[] bytes : GossipsubCodec.encodeSplit(rpc, limits.maxRpcSize())) {
            // BUFFER_FULL drops this RPC: a peer that does not read loses messages, gossip recovers the rest.
            stream.write(LengthPrefixedFrames.frame(bytes));
        }
    }

    /**
     * Subscribes to a topic.
     *
     * @param topic    the topic
     * @param consumer called on the owner thread with every validated message
     * @return completes once the subscription is announced
     */
    public CompletableFuture<Void> subscribe(String topic, Consumer<PubsubMessage> consumer) {
        return onOwner(() -> {
            subscribers.computeIfAbsent(topic, t -> new ArrayList<>()).add(consumer);
            apply(router.subscribe(topic, clock.getAsLong()));
            return null;
        });
    }

    /**
     * Sets a topic's validator.
     *
     * @param topic     the topic
     * @param validator runs on the owner thread
     * @return completes when installed
     */
    public CompletableFuture<Void> setValidator(String topic, MessageValidator validator) {
        return onOwner(() -> {
            router.setValidator(topic, validator);
            return null;
        });
    }

    /**
     * Publishes a message signed with the host key.
     *
     * @param topic the topic
     * @param data  the payload
     * @return completes with the message id and how many peers it went to
     */
    public CompletableFuture<GossipsubRouter.PublishResult> publish(String topic, byte[] data) {
        return onOwner(() -> {
            GossipsubRouter.PublishResult result = router.publish(topic, data, clock.getAsLong());
            apply(result.output());
            return result;
        });
    }

    /**
     * Completes once our mesh for a topic has at least {@code n} peers.
     *
     * @param topic the topic
     * @param n     the size
     * @return the future
     */
    public CompletableFuture<Void> awaitMesh(String topic, int n) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        owner.execute(() -> {
            BooleanSupplier check = () -> router.meshPeers(topic).size() >= n && done.complete(null);
            if (!check.getAsBoolean()) {
                waiters.add(check);
            }
        });
        return done;
    }

    private <T> CompletableFuture<T> onOwner(java.util.function.Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        owner.execute(() -> {
            try {
                f.complete(task.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Stops heartbeats, unregisters from the host and resets our streams. Does not close the host. */
    @Override
    public void close() {
        heartbeat.cancel(false);
        host.removeConnectionListener(listener);
        for (String protocol : PROTOCOLS) {
            host.removeHandler(protocol);
        }
        owner.execute(() -> {
            for (Stream s : outbound.values()) {
                s.reset();
            }
            outbound.clear();
        });
    }
}
