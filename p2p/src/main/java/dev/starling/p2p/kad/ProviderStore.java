package dev.starling.p2p.kad;

import dev.starling.p2p.core.PeerId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Provider records (kad-dht/README.md "Content provider advertisement"): which peers say they provide a key
 * (a CID's multihash), each with an expiry (48 h in IPFS). Caps the number of keys and of providers per key.
 *
 * <p>I/O-free, time passed in. Owner thread only; not thread-safe.
 */
public final class ProviderStore {
    private record Entry(KadPeer provider, long expiresAtNanos) {
    }

    private final Map<KadKey, Map<PeerId, Entry>> providers = new HashMap<>();
    private final long ttlNanos;
    private final int maxKeys;
    private final int maxProvidersPerKey;

    /**
     * Creates a store.
     *
     * @param ttlNanos           provider record lifetime
     * @param maxKeys            most keys tracked
     * @param maxProvidersPerKey most providers remembered per key (newest win)
     */
    public ProviderStore(long ttlNanos, int maxKeys, int maxProvidersPerKey) {
        if (ttlNanos <= 0 || maxKeys <= 0 || maxProvidersPerKey <= 0) {
            throw new IllegalArgumentException("provider store limits must be positive");
        }
        this.ttlNanos = ttlNanos;
        this.maxKeys = maxKeys;
        this.maxProvidersPerKey = maxProvidersPerKey;
    }

    /**
     * Adds or refreshes a provider.
     *
     * @param key      the provided key's raw bytes
     * @param provider the provider
     * @param nowNanos the time
     * @return false when the key cap is reached
     */
    public boolean add(byte[] key, KadPeer provider, long nowNanos) {
        KadKey k = KadKey.of(key);
        Map<PeerId, Entry> map = providers.get(k);
        if (map == null) {
            if (providers.size() >= maxKeys) {
                expire(nowNanos);
                if (providers.size() >= maxKeys) {
                    return false;
                }
            }
            map = new LinkedHashMap<>();
            providers.put(k, map);
        }
        map.remove(provider.id());
        map.put(provider.id(), new Entry(provider, nowNanos + ttlNanos));
        if (map.size() > maxProvidersPerKey) {
            Iterator<PeerId> it = map.keySet().iterator();
            it.next();
            it.remove();
        }
        return true;
    }

    /**
     * Returns the live providers of a key, most recently added last.
     *
     * @param key      the key's raw bytes
     * @param nowNanos the time
     * @return the providers
     */
    public List<KadPeer> get(byte[] key, long nowNanos) {
        Map<PeerId, Entry> map = providers.get(KadKey.of(key));
        List<KadPeer> out = new ArrayList<>();
        if (map != null) {
            for (Entry e : map.values()) {
                if (e.expiresAtNanos - nowNanos > 0) {
                    out.add(e.provider);
                }
            }
        }
        return out;
    }

    /**
     * Drops expired provider records.
     *
     * @param nowNanos the time
     */
    public void expire(long nowNanos) {
        Iterator<Map<PeerId, Entry>> it = providers.values().iterator();
        while (it.hasNext()) {
            Map<PeerId, Entry> map = it.next();
            map.values().removeIf(e -> e.expiresAtNanos - nowNanos <= 0);
            if (map.isEmpty()) {
                it.remove();
            }
        }
    }
}
