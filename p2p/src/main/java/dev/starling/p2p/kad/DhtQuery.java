package dev.starling.p2p.kad;

import dev.starling.p2p.core.PeerId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One client-side DHT operation driven by a {@link ClosestPeersLookup}: FIND_NODE (closest peers), GET_VALUE
 * (records, stopping at the quorum), GET_PROVIDERS (providers), or the lookup phase of PUT_VALUE / ADD_PROVIDER (the
 * owner then sends the store request to {@link #closest()}). The owner sends {@link #request()} to every peer a
 * {@code Query} step names and feeds back answers; nothing here does I/O.
 *
 * <p>Owner thread only; not thread-safe; time is passed in.
 */
public final class DhtQuery {
    private final DhtMessage.Type type;
    private final byte[] key;
    private final ClosestPeersLookup lookup;
    private final RecordStore validation;
    private final int quorum;
    private final List<byte[]> values = new ArrayList<>();
    private final Map<PeerId, KadPeer> providers = new LinkedHashMap<>();
    private List<KadPeer> closest = List.of();
    private boolean done;
    private int maxDepth;

    /**
     * Starts an operation.
     *
     * @param type       FIND_NODE, GET_VALUE or GET_PROVIDERS (PUT_VALUE and ADD_PROVIDER look up with FIND_NODE)
     * @param key        the key
     * @param seeds      closest known peers
     * @param config     k, alpha, timeout, quorum
     * @param validation the record store whose validators check found records
     */
    public DhtQuery(DhtMessage.Type type, byte[] key, List<KadPeer> seeds, KadConfig config, RecordStore validation) {
        this.type = type == DhtMessage.Type.PUT_VALUE || type == DhtMessage.Type.ADD_PROVIDER
                ? DhtMessage.Type.FIND_NODE : type;
        this.key = key.clone();
        this.lookup = new ClosestPeersLookup(KadKey.of(key), seeds, config.k(), config.alpha(),
                config.queryTimeout().toNanos());
        this.validation = validation;
        this.quorum = config.getQuorum();
    }

    /**
     * Returns the request to send to each queried peer.
     *
     * @return the request message
     */
    public DhtMessage request() {
        return DhtMessage.request(type, key);
    }

    /**
     * Advances the lookup.
     *
     * @param nowNanos the time
     * @return what to do
     */
    public ClosestPeersLookup.Step next(long nowNanos) {
        ClosestPeersLookup.Step step = lookup.next(nowNanos);
        if (step instanceof ClosestPeersLookup.Done d) {
            closest = d.closest();
            done = true;
        }
        return step;
    }

    /**
     * Feeds an answer.
     *
     * @param from     the peer that answered
     * @param response its decoded answer
     */
    public void onResponse(PeerId from, DhtMessage response) {
        List<KadPeer> closer = new ArrayList<>();
        for (DhtMessage.Peer p : response.closerPeers()) {
            closer.add(p.toKadPeer());
        }
        int depth = lookup.onResponse(from, closer);
        if (depth < 0) {
            return;
        }
        maxDepth = Math.max(maxDepth, depth);
        if (type == DhtMessage.Type.GET_VALUE && response.record() != null) {
            byte[] value = response.record().value();
            if (validation.isValid(key, value)) {
                values.add(value);
                if (values.size() >= quorum) {
                    lookup.stop();
                }
            }
        }
        if (type == DhtMessage.Type.GET_PROVIDERS) {
            for (DhtMessage.Peer p : response.providerPeers()) {
                providers.putIfAbsent(p.id(), p.toKadPeer());
            }
        }
    }

    /**
     * Reports a failed request.
     *
     * @param from the peer
     */
    public void onFailure(PeerId from) {
        lookup.onFailure(from);
    }

    /**
     * Returns whether the lookup has finished.
     *
     * @return true when done
     */
    public boolean isDone() {
        return done;
    }

    /**
     * Returns the closest peers that answered (valid once done).
     *
     * @return up to k peers, closest first
     */
    public List<KadPeer> closest() {
        return closest;
    }

    /**
     * Returns the best valid value found, selected by the namespace's selector.
     *
     * @return the value, or null when none was found
     */
    public byte[] bestValue() {
        return values.isEmpty() ? null : values.get(validation.select(key, values));
    }

    /**
     * Returns the providers found.
     *
     * @return providers in discovery order
     */
    public List<KadPeer> providers() {
        return List.copyOf(providers.values());
    }

    /**
     * Returns the underlying lookup (depths, query counts).
     *
     * @return the lookup
     */
    public ClosestPeersLookup lookup() {
        return lookup;
    }

    /**
     * Returns the deepest hop that answered.
     *
     * @return the depth
     */
    public int maxDepth() {
        return maxDepth;
    }
}
