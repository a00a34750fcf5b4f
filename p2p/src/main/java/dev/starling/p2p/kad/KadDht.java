package dev.starling.p2p.kad;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ConnectionListener;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.protocol.identify.IdentifyInfo;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.codec.LengthPrefixedFrames;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kademlia DHT service on a {@link Host} ({@code /ipfs/kad/1.0.0}, uvarint-length-prefixed {@code Message}
 * protobufs). In server mode it answers requests (several per stream) from a {@link DhtServer}; in both modes it runs
 * {@link DhtQuery} lookups, opening one stream per request like js-libp2p. Every connection is probed with a
 * FIND_NODE for our own key; a peer that answers is a DHT server and goes into the routing table (with the dialed
 * address when we dialed it; addresses of inbound peers await identify).
 *
 * <p>Threads: all DHT state belongs to the owner executor; stream callbacks post to it; public methods may be called
 * from any thread and return futures. Query timeouts are scheduled on the owner. A malformed message resets its
 * stream and fails that request only.
 */
public final class KadDht implements AutoCloseable {
    /** The protocol id. */
    public static final String PROTOCOL = "/ipfs/kad/1.0.0";
    private static final Logger LOG = LoggerFactory.getLogger(KadDht.class);

    private final Host host;
    private final KadConfig config;
    private final DhtCodec codec;
    private final DhtCodec.Limits limits;
    private final EventExecutor owner;
    private final LongSupplier clock;
    private final DhtServer server;
    private final ConnectionListener listener;
    private final Set<PeerId> pinging = new HashSet<>();
    private final Set<PeerId> probing = new HashSet<>();
    private volatile IdentifyService identify;
    private final io.netty.util.concurrent.ScheduledFuture<?> refresh;

    /**
     * Starts the service.
     *
     * @param host   the host
     * @param config DHT parameters (mode decides whether we serve)
     * @param limits caps on received messages
     * @param owner  the owner executor (not shut down by {@link #close})
     * @param clock  monotonic nanos, read on the owner thread
     */
    public KadDht(Host host, KadConfig config, DhtCodec.Limits limits, EventExecutor owner, LongSupplier clock) {
        this.host = host;
        this.config = config;
        this.limits = limits;
        this.codec = new DhtCodec(limits);
        this.owner = owner;
        this.clock = clock;
        this.server = new DhtServer(config, KadPeer.of(host.peerId(), List.of()));
        if (config.mode() == KadConfig.Mode.SERVER) {
            host.setHandler(PROTOCOL, this::serve);
        }
        this.listener = new ConnectionListener() {
            @Override
            public void onConnected(Connection connection) {
                List<byte[]> addrs = connection.isInitiator()
                        ? List.of(connection.remoteAddress().withoutPeerId().toBytes()) : List.of();
                KadPeer peer = KadPeer.of(connection.remotePeer(), addrs);
                owner.execute(() -> probe(peer));
            }
        };
        host.addConnectionListener(listener);
        long every = config.refreshInterval().toNanos();
        this.refresh = owner.scheduleAtFixedRate(this::refreshBuckets, every, every, TimeUnit.NANOSECONDS);
    }

    /**
     * Uses identify to keep the routing table to DHT servers with their listen addresses: a peer that lists
     * {@link #PROTOCOL} goes in (with its addresses), one that does not is taken out (it is a client).
     *
     * @param identify the host's identify service
     */
    public void useIdentify(IdentifyService identify) {
        this.identify = identify;
        identify.addListener(this::onIdentified);
    }

    private void onIdentified(IdentifyInfo info) {
        List<byte[]> addrs = new ArrayList<>();
        for (Multiaddr a : info.listenAddresses()) {
            addrs.add(a.withoutPeerId().toBytes());
        }
        boolean isServer = info.protocols().contains(PROTOCOL);
        KadPeer peer = KadPeer.of(info.peer(), addrs);
        owner.execute(() -> {
            if (isServer) {
                updateTable(peer);
            } else {
                server.table().remove(info.peer());
            }
        });
    }

    /** A requester that identify says is a DHT server is alive: refresh it in (or add it to) the table. */
    private void refreshRequester(PeerId from) {
        IdentifyService id = identify;
        if (id == null) {
            return;
        }
        id.info(from).filter(info -> info.protocols().contains(PROTOCOL)).ifPresent(info -> {
            List<byte[]> addrs = new ArrayList<>();
            for (Multiaddr a : info.listenAddresses()) {
                addrs.add(a.withoutPeerId().toBytes());
            }
            updateTable(KadPeer.of(from, addrs));
        });
    }

    /** Adds or refreshes a peer; when its bucket is full, pings the oldest entry and evicts it if dead. */
    private void updateTable(KadPeer peer) {
        if (server.table().update(peer) != RoutingTable.UpdateResult.BUCKET_FULL) {
            return;
        }
        KadPeer oldest = server.table().leastRecentlySeen(peer);
        if (oldest == null || !pinging.add(oldest.id())) {
            return;
        }
        request(oldest, DhtMessage.request(DhtMessage.Type.FIND_NODE, host.peerId().bytes()))
                .whenComplete((answer, error) -> owner.execute(() -> {
                    pinging.remove(oldest.id());
                    if (error != null) {
                        server.table().remove(oldest.id());
                    } else {
                        server.table().update(oldest);
                    }
                }));
    }

    private void probe(KadPeer peer) {
        request(peer, DhtMessage.request(DhtMessage.Type.FIND_NODE, host.peerId().bytes()))
                .whenComplete((answer, error) -> owner.execute(() -> {
                    probing.remove(peer.id());
                    if (error == null) {
                        updateTable(peer);
                    }
                }));
    }

    /** Most peers probed after one lookup to fill buckets that have room. */
    private static final int MAX_PROBES_PER_LOOKUP = 20;

    /**
     * Probes the peers a finished lookup heard of but did not query whose bucket has room, so that they and we
     * enter each other's tables. Without it, hosts that join at once through one bootstrap host can end up with a
     * region of the keyspace that nobody in the neighbouring region knows: their self lookups converge inside their
     * own region, the peers of the other region are only ever candidates, never contacted, and a lookup from one
     * side for a target on the other converges among peers that cannot point further (HostScaleTest at 200 hosts:
     * 54 of 400 lookups ended with 20 answering peers whose bucket towards the target was empty).
     */
    private void fillBuckets(ClosestPeersLookup lookup) {
        List<KadPeer> reachable = new ArrayList<>();
        for (KadPeer p : lookup.unqueried()) {
            if ((!p.addrs().isEmpty() || host.connection(p.id()).isPresent()) && !probing.contains(p.id())) {
                reachable.add(p);
            }
        }
        for (KadPeer p : server.table().worthProbing(reachable, MAX_PROBES_PER_LOOKUP)) {
            probing.add(p.id());
            probe(p);
        }
    }

    /** Serves inbound requests on one stream, answering each in order. */
    private StreamHandler serve(Stream stream) {
        LengthPrefixedFrames frames = new LengthPrefixedFrames(limits.maxMessageSize());
        PeerId from = stream.remotePeer();
        return new StreamHandler() {
            @Override
            public void onData(Stream s, ByteBuf data) {
                try {
                    for (byte[] frame : frames.offer(data)) {
                        DhtMessage request = codec.decode(frame);
                        owner.execute(() -> {
                            server.handle(from, request, clock.getAsLong()).ifPresent(answer ->
                                    s.write(LengthPrefixedFrames.frame(DhtCodec.encode(answer))));
                            refreshRequester(from);
                        });
                    }
                } catch (DhtWireException | P2pException e) {
                    LOG.info("kad: bad request from {}: {}", from, e.getMessage());
                    s.reset();
                }
            }

            @Override
            public void onRemoteClosed(Stream s) {
                owner.execute(s::closeWrite);
            }

            @Override
            public void onClosed(Stream s, boolean reset) {
                frames.release();
            }
        };
    }

    /** Sends one request on a fresh stream; completes with the answer (or null for ADD_PROVIDER). Any thread. */
    private CompletableFuture<DhtMessage> request(KadPeer peer, DhtMessage request) {
        CompletableFuture<DhtMessage> answer = new CompletableFuture<>();
        boolean expectsAnswer = request.type() != DhtMessage.Type.ADD_PROVIDER;
        // A peer that never answers must not hold the stream forever: fail (and so reset) after the query timeout.
        owner.schedule(() -> answer.completeExceptionally(P2pException.closed("no answer within "
                + config.queryTimeout())), config.queryTimeout().toNanos(), TimeUnit.NANOSECONDS);
        connect(peer).thenCompose(c -> c.newStream(List.of(PROTOCOL), s -> responseReader(answer)))
                .whenComplete((stream, error) -> {
                    if (error != null) {
                        answer.completeExceptionally(error);
                        return;
                    }
                    stream.write(LengthPrefixedFrames.frame(DhtCodec.encode(request)));
                    stream.closeWrite();
                    if (expectsAnswer) {
                        answer.whenComplete((a, e) -> stream.reset());
                    } else {
                        answer.complete(null);
                    }
                });
        return answer;
    }

    private CompletableFuture<Connection> connect(KadPeer peer) {
        Optional<Connection> existing = host.connection(peer.id());
        if (existing.isPresent()) {
            return CompletableFuture.completedFuture(existing.get());
        }
        if (peer.addrs().isEmpty()) {
            return CompletableFuture.failedFuture(P2pException.closed("no address for " + peer.id()));
        }
        try {
            return host.dial(Multiaddr.fromBytes(peer.addrs().get(0)).withPeerId(peer.id()));
        } catch (P2pException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private StreamHandler responseReader(CompletableFuture<DhtMessage> answer) {
        LengthPrefixedFrames frames = new LengthPrefixedFrames(limits.maxMessageSize());
        return new StreamHandler() {
            @Override
            public void onData(Stream s, ByteBuf data) {
                try {
                    List<byte[]> got = frames.offer(data);
                    if (!got.isEmpty()) {
                        answer.complete(codec.decode(got.get(0)));
                    }
                } catch (DhtWireException | P2pException e) {
                    answer.completeExceptionally(e);
                }
            }

            @Override
            public void onClosed(Stream s, boolean reset) {
                frames.release();
                answer.completeExceptionally(P2pException.closed("stream closed without an answer"));
            }
        };
    }

    /** Runs a query to completion on the owner thread. */
    private CompletableFuture<DhtQuery> run(DhtQuery q) {
        CompletableFuture<DhtQuery> done = new CompletableFuture<>();
        owner.execute(() -> pump(q, done));
        return done;
    }

    private void pump(DhtQuery q, CompletableFuture<DhtQuery> done) {
        if (done.isDone()) {
            return;
        }
        ClosestPeersLookup.Step step = q.next(clock.getAsLong());
        if (step instanceof ClosestPeersLookup.Done) {
            fillBuckets(q.lookup());
            done.complete(q);
            return;
        }
        if (step instanceof ClosestPeersLookup.Query query) {
            for (KadPeer peer : query.peers()) {
                request(peer, q.request()).whenComplete((answer, error) -> owner.execute(() -> {
                    if (error != null) {
                        q.onFailure(peer.id());
                        server.table().remove(peer.id());
                    } else {
                        q.onResponse(peer.id(), answer);
                        updateTable(peer);
                    }
                    pump(q, done);
                }));
            }
            owner.schedule(() -> pump(q, done), config.queryTimeout().toNanos() + 1, TimeUnit.NANOSECONDS);
        }
    }

    private DhtQuery newQuery(DhtMessage.Type type, byte[] key) {
        return new DhtQuery(type, key, server.table().closest(KadKey.of(key), config.k()), config, server.records());
    }

    private <T> CompletableFuture<T> onOwner(Supplier<CompletableFuture<T>> task) {
        return CompletableFuture.supplyAsync(task, owner).thenCompose(f -> f);
    }

    /**
     * Looks up the k peers closest to a key.
     *
     * @param key the raw key
     * @return the closest peers that answered, closest first
     */
    public CompletableFuture<List<KadPeer>> findClosestPeers(byte[] key) {
        return onOwner(() -> run(newQuery(DhtMessage.Type.FIND_NODE, key)).thenApply(DhtQuery::closest));
    }

    /**
     * The outcome of {@link #findPeer}.
     *
     * @param closest  the closest peers that answered, closest first
     * @param found    the target peer as learned (with its addresses), or null when no answer named it
     * @param hops     the depth at which the target was learned (1: it was in our table), or -1
     * @param queries  requests the lookup sent
     */
    public record PeerLookup(List<KadPeer> closest, KadPeer found, int hops, int queries) {
    }

    /**
     * Looks a peer up by id (FIND_NODE), with figures.
     *
     * @param target the peer
     * @return the lookup outcome
     */
    public CompletableFuture<PeerLookup> findPeer(PeerId target) {
        return onOwner(() -> run(newQuery(DhtMessage.Type.FIND_NODE, target.bytes())).thenApply(q -> {
            // Found means learned with its addresses (what a dialer needs), whether or not it answered us.
            KadPeer found = q.lookup().discovered(target);
            int depth = q.lookup().depthOf(target);
            return new PeerLookup(q.closest(), found, found == null ? -1 : depth, q.lookup().queriesSent());
        }));
    }

    /**
     * Refreshes the routing table with a lookup of our own id.
     *
     * @return completes with the routing table size
     */
    public CompletableFuture<Integer> bootstrap() {
        return findClosestPeers(host.peerId().bytes()).thenApplyAsync(c -> server.table().size(), owner);
    }

    /** Highest bucket (common prefix length) refreshed with a random lookup; 2^10 nodes deep is plenty here. */
    private static final int MAX_REFRESH_CPL = 10;

    /**
     * Refreshes the routing table the Kademlia way: a self lookup, then one lookup for a random key in each bucket
     * up to {@link #MAX_REFRESH_CPL} common prefix bits, so that every region of the keyspace we can know about is
     * represented. Runs periodically; callers may also run it after joining.
     *
     * @return completes with the routing table size
     */
    public CompletableFuture<Integer> refreshBuckets() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(java.util.Arrays.hashCode(
                host.peerId().bytes()) ^ clock.getAsLong());
        KadKey local = KadKey.of(host.peerId().bytes());
        CompletableFuture<?> chain = findClosestPeers(host.peerId().bytes());
        for (int cpl = 0; cpl <= MAX_REFRESH_CPL; cpl++) {
            byte[] key = randomKeyWithPrefix(local, cpl, random);
            chain = chain.thenCompose(v -> findClosestPeers(key));
        }
        return chain.thenCompose(v -> routingTableSize());
    }

    /** Rejection-samples raw key bytes whose hash shares exactly {@code cpl} leading bits with ours. */
    private static byte[] randomKeyWithPrefix(KadKey local, int cpl, java.util.SplittableRandom random) {
        byte[] raw = new byte[16];
        while (true) {
            random.nextBytes(raw);
            if (local.commonPrefixLength(KadKey.of(raw)) == cpl) {
                return raw.clone();
            }
        }
    }

    /**
     * Stores a record locally (validated) and at the k closest peers.
     *
     * @param key   the record key, e.g. {@code /pk/...}
     * @param value the value
     * @return completes with how many remote peers accepted it; fails with IllegalArgumentException when invalid
     */
    public CompletableFuture<Integer> putValue(byte[] key, byte[] value) {
        return onOwner(() -> {
            String wallTime = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
            if (server.records().put(key, value, wallTime, clock.getAsLong()) == RecordStore.PutResult.INVALID) {
                return CompletableFuture.failedFuture(new IllegalArgumentException("record rejected by validator"));
            }
            DhtMessage put = new DhtMessage(DhtMessage.Type.PUT_VALUE, key,
                    new DhtMessage.Record(key, value, wallTime),
                    List.of(), List.of());
            return run(newQuery(DhtMessage.Type.PUT_VALUE, key)).thenCompose(q -> sendAll(q.closest(), put));
        });
    }

    /**
     * Finds the best record for a key (local or remote, by the namespace's selector).
     *
     * @param key the record key
     * @return the value, or empty when nobody has a valid one
     */
    public CompletableFuture<Optional<byte[]>> getValue(byte[] key) {
        return onOwner(() -> run(newQuery(DhtMessage.Type.GET_VALUE, key)).thenApplyAsync(q -> {
            List<byte[]> values = new ArrayList<>();
            server.records().get(key, clock.getAsLong()).ifPresent(r -> values.add(r.value()));
            if (q.bestValue() != null) {
                values.add(q.bestValue());
            }
            return values.isEmpty() ? Optional.empty() : Optional.of(values.get(server.records().select(key, values)));
        }, owner));
    }

    /**
     * Announces that we provide a key, to the k closest peers.
     *
     * @param key the provided key (a CID's multihash)
     * @return completes with how many peers were sent the record
     */
    public CompletableFuture<Integer> provide(byte[] key) {
        return onOwner(() -> {
            List<byte[]> addrs = new ArrayList<>();
            for (Multiaddr a : host.listenAddresses()) {
                addrs.add(a.toBytes());
            }
            KadPeer self = KadPeer.of(host.peerId(), addrs);
            server.providers().add(key, self, clock.getAsLong());
            DhtMessage add = new DhtMessage(DhtMessage.Type.ADD_PROVIDER, key, null, List.of(),
                    List.of(DhtMessage.Peer.of(self, 0)));
            return run(newQuery(DhtMessage.Type.ADD_PROVIDER, key)).thenCompose(q -> sendAll(q.closest(), add));
        });
    }

    /**
     * Finds providers of a key (local and remote).
     *
     * @param key the key
     * @return the providers
     */
    public CompletableFuture<List<KadPeer>> findProviders(byte[] key) {
        return onOwner(() -> run(newQuery(DhtMessage.Type.GET_PROVIDERS, key)).thenApplyAsync(q -> {
            List<KadPeer> out = new ArrayList<>(server.providers().get(key, clock.getAsLong()));
            for (KadPeer p : q.providers()) {
                if (!out.contains(p)) {
                    out.add(p);
                }
            }
            return out;
        }, owner));
    }

    private CompletableFuture<Integer> sendAll(List<KadPeer> peers, DhtMessage message) {
        List<CompletableFuture<Boolean>> sends = new ArrayList<>();
        for (KadPeer p : peers) {
            sends.add(request(p, message).handle((a, e) -> e == null));
        }
        return CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
                .thenApply(v -> (int) sends.stream().filter(CompletableFuture::join).count());
    }

    /**
     * Registers a record namespace.
     *
     * @param namespace e.g. {@code starling}
     * @param validator validator and selector
     * @return completes when installed
     */
    public CompletableFuture<Void> addValidator(String namespace, RecordValidator validator) {
        return CompletableFuture.runAsync(() -> server.records().addValidator(namespace, validator), owner);
    }

    /**
     * Returns the routing table size.
     *
     * @return completes with the size
     */
    public CompletableFuture<Integer> routingTableSize() {
        return CompletableFuture.supplyAsync(() -> server.table().size(), owner);
    }

    /** Returns the routing table's peers (tests and diagnostics). */
    CompletableFuture<List<PeerId>> routingTablePeers() {
        return CompletableFuture.supplyAsync(() -> server.table().closest(server.self().key(), Integer.MAX_VALUE)
                .stream().map(KadPeer::id).toList(), owner);
    }

    /** Unregisters from the host. Does not close the host or the owner. */
    @Override
    public void close() {
        refresh.cancel(false);
        host.removeConnectionListener(listener);
        if (config.mode() == KadConfig.Mode.SERVER) {
            host.removeHandler(PROTOCOL);
        }
    }
}
