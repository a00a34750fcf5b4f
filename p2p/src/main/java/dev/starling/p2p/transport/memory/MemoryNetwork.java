package dev.starling.p2p.transport.memory;

import dev.starling.p2p.core.P2pException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A namespace of in-memory listeners ({@code /memory/NAME}), shared by the {@link MemoryTransport}s of the
 * hosts in one simulation or test. Thread-safe (a concurrent map; binding is the only shared state).
 */
public final class MemoryNetwork {
    private final ConcurrentHashMap<String, MemoryTransport.Listener> listeners = new ConcurrentHashMap<>();

    /** Creates an empty network. */
    public MemoryNetwork() {
    }

    void bind(String name, MemoryTransport.Listener listener) {
        if (listeners.putIfAbsent(name, listener) != null) {
            throw P2pException.internal("memory address /memory/" + name + " is already in use", null);
        }
    }

    void unbind(String name, MemoryTransport.Listener listener) {
        listeners.remove(name, listener);
    }

    Optional<MemoryTransport.Listener> lookup(String name) {
        return Optional.ofNullable(listeners.get(name));
    }
}
