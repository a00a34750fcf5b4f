package dev.starling.p2p.kad;

import dev.starling.p2p.core.PeerId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Answers inbound kad-dht requests from the local routing table and stores (kad-dht/README.md "RPC messages"):
 * FIND_NODE, GET_VALUE, PUT_VALUE (validated; echoed back), ADD_PROVIDER (only for the sender itself; no answer),
 * GET_PROVIDERS and PING. Also owns the routing table, the record store and the provider store of one node.
 *
 * <p>I/O-free, time passed in. Owner thread only; not thread-safe.
 */
public final class DhtServer {
    private final KadConfig config;
    private final KadPeer self;
    private final RoutingTable table;
    private final RecordStore records;
    private final ProviderStore providers;

    /**
     * Creates the node state.
     *
     * @param config parameters
     * @param self   this node (id and the addresses it announces)
     */
    public DhtServer(KadConfig config, KadPeer self) {
        this.config = config;
        this.self = self;
        this.table = new RoutingTable(self.key(), config.k());
        this.records = new RecordStore(config.recordTtl().toNanos(), config.maxRecords(), config.maxValueSize());
        this.providers = new ProviderStore(config.providerTtl().toNanos(), config.maxProviderKeys(),
                config.maxProvidersPerKey());
        records.addValidator("pk", new PublicKeyValidator());
    }

    /**
     * Returns the routing table.
     *
     * @return the table
     */
    public RoutingTable table() {
        return table;
    }

    /**
     * Returns the record store (register namespace validators on it).
     *
     * @return the store
     */
    public RecordStore records() {
        return records;
    }

    /**
     * Returns the provider store.
     *
     * @return the store
     */
    public ProviderStore providers() {
        return providers;
    }

    /**
     * Returns this node.
     *
     * @return the local peer
     */
    public KadPeer self() {
        return self;
    }

    /**
     * Answers one request.
     *
     * @param from     the requesting peer
     * @param request  the decoded request
     * @param nowNanos the time
     * @return the response, or empty when the type has none (ADD_PROVIDER) or the request is refused
     */
    public Optional<DhtMessage> handle(PeerId from, DhtMessage request, long nowNanos) {
        byte[] key = request.key();
        return switch (request.type()) {
            case FIND_NODE -> Optional.of(new DhtMessage(DhtMessage.Type.FIND_NODE, key, null,
                    closer(key, from), List.of()));
            case GET_VALUE -> {
                DhtMessage.Record record = records.get(key, nowNanos)
                        .map(r -> new DhtMessage.Record(r.key(), r.value(), r.timeReceived())).orElse(null);
                yield Optional.of(new DhtMessage(DhtMessage.Type.GET_VALUE, key, record, closer(key, from),
                        List.of()));
            }
            case PUT_VALUE -> {
                DhtMessage.Record r = request.record();
                if (r == null || !Arrays.equals(r.key(), key)) {
                    yield Optional.empty();
                }
                RecordStore.PutResult result = records.put(key, r.value(), r.timeReceived(), nowNanos);
                yield result == RecordStore.PutResult.STORED || result == RecordStore.PutResult.OLDER
                        ? Optional.of(request) : Optional.empty();
            }
            case ADD_PROVIDER -> {
                for (DhtMessage.Peer p : request.providerPeers()) {
                    if (p.id().equals(from)) {
                        providers.add(key, p.toKadPeer(), nowNanos);
                    }
                }
                yield Optional.empty();
            }
            case GET_PROVIDERS -> {
                List<DhtMessage.Peer> found = new ArrayList<>();
                for (KadPeer p : providers.get(key, nowNanos)) {
                    found.add(DhtMessage.Peer.of(p, 0));
                }
                yield Optional.of(new DhtMessage(DhtMessage.Type.GET_PROVIDERS, key, null, closer(key, from),
                        found));
            }
            case PING -> Optional.of(DhtMessage.request(DhtMessage.Type.PING, new byte[0]));
        };
    }

    private List<DhtMessage.Peer> closer(byte[] key, PeerId requester) {
        List<DhtMessage.Peer> out = new ArrayList<>();
        for (KadPeer p : table.closest(KadKey.of(key), config.k() + 1)) {
            if (!p.id().equals(requester) && out.size() < config.k()) {
                out.add(DhtMessage.Peer.of(p, 0));
            }
        }
        return out;
    }
}
