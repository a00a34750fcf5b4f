package dev.starling.p2p.host;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.Transport;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import dev.starling.p2p.transport.memory.MemoryTransport;
import dev.starling.p2p.transport.tcp.TcpTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Builds a {@link Host}: identity, event loops, transports and the protocols every host serves. Used from
 * one thread; {@link #build()} checks the configuration once (STYLE rule 8).
 */
public final class HostBuilder {
    private PrivateKey identity;
    private EventLoopGroup group;
    private final List<BiFunction<PrivateKey, EventLoopGroup, Transport>> transports = new ArrayList<>();
    private final List<Consumer<Host>> services = new ArrayList<>();

    /** Creates a builder with no transports. */
    public HostBuilder() {
    }

    /**
     * Sets the identity (default: a fresh Ed25519 key).
     *
     * @param key the private key
     * @return this
     */
    public HostBuilder identity(PrivateKey key) {
        this.identity = Objects.requireNonNull(key, "key");
        return this;
    }

    /**
     * Sets the event loops that own connections (default: a host-owned NIO group of 1 thread, shut down on
     * close). A group passed here is not shut down by the host.
     *
     * @param eventLoops the group
     * @return this
     */
    public HostBuilder eventLoops(EventLoopGroup eventLoops) {
        this.group = Objects.requireNonNull(eventLoops, "eventLoops");
        return this;
    }

    /**
     * Adds the in-memory transport on {@code network}.
     *
     * @param network the shared namespace
     * @return this
     */
    public HostBuilder memoryTransport(MemoryNetwork network) {
        transports.add((key, loops) -> new MemoryTransport(network, key, loops));
        return this;
    }

    /**
     * Adds TCP with Noise and yamux.
     *
     * @return this
     */
    public HostBuilder tcpTransport() {
        transports.add(TcpTransport::new);
        return this;
    }

    /**
     * Adds a transport made from the identity and event loops.
     *
     * @param factory builds the transport
     * @return this
     */
    public HostBuilder transport(BiFunction<PrivateKey, EventLoopGroup, Transport> factory) {
        transports.add(factory);
        return this;
    }

    /**
     * Adds a service started on the new host (for example ping or identify).
     *
     * @param service installs handlers and listeners on the host
     * @return this
     */
    public HostBuilder service(Consumer<Host> service) {
        services.add(service);
        return this;
    }

    /**
     * Builds the host.
     *
     * @return the host, not yet listening
     * @throws IllegalStateException if no transport was added
     */
    public Host build() {
        if (transports.isEmpty()) throw new IllegalStateException("a host needs at least one transport");
        PrivateKey key = identity != null ? identity : Keys.generateEd25519();
        EventLoopGroup owned = null;
        EventLoopGroup loops = group;
        if (loops == null) {
            owned = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            loops = owned;
        }
        List<Transport> built = new ArrayList<>();
        for (var f : transports) built.add(f.apply(key, loops));
        Libp2pHost host = new Libp2pHost(key, built, owned);
        for (Consumer<Host> s : services) s.accept(host);
        return host;
    }
}
