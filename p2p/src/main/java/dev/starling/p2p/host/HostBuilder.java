package dev.starling.p2p.host;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.Transport;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.emulation.HostEgress;
import dev.starling.p2p.emulation.LinkEmulation;
import dev.starling.p2p.mux.yamux.YamuxSession;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Builds a {@link Host}: identity, event loops, transports and the protocols every host serves. Used from
 * one thread; {@link #build()} checks the configuration once (STYLE rule 8).
 */
public final class HostBuilder {
    private PrivateKey identity;
    private EventLoopGroup group;
    private final List<BiFunction<PrivateKey, EventLoopGroup, Transport>> transports = new ArrayList<>();
    private final List<Consumer<Host>> services = new ArrayList<>();
    private LongSupplier clock = System::nanoTime;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private long backoffBaseNanos = TimeUnit.SECONDS.toNanos(1);
    private long backoffMaxNanos = TimeUnit.MINUTES.toNanos(5);
    private LinkEmulation linkEmulation;
    /** This host's emulated egress while {@link #build()} runs (read by the transport factories). */
    private HostEgress egress;

    /** Default cap on open connections; inbound connections beyond it are closed. */
    public static final int DEFAULT_MAX_CONNECTIONS = 512;

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
     * Sets the clock used for dial back-off (default {@code System::nanoTime}; tests pass a manual one).
     *
     * @param nanoClock monotonic nanoseconds
     * @return this
     */
    public HostBuilder clock(LongSupplier nanoClock) {
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        return this;
    }

    /**
     * Caps open connections (default {@link #DEFAULT_MAX_CONNECTIONS}); inbound ones beyond it are closed.
     *
     * @param max the cap, positive
     * @return this
     */
    public HostBuilder maxConnections(int max) {
        this.maxConnections = max;
        return this;
    }

    /**
     * Sets the dial back-off after failed dials (default 1 s doubling up to 5 min).
     *
     * @param baseNanos wait after the first failure
     * @param maxNanos  longest wait
     * @return this
     */
    public HostBuilder dialBackoff(long baseNanos, long maxNanos) {
        this.backoffBaseNanos = baseNanos;
        this.backoffMaxNanos = maxNanos;
        return this;
    }

    /**
     * Emulates links on what this host sends over its TCP and in-memory transports: rate, one-way delay and loss
     * per connection, and optionally a shared uplink ({@link LinkEmulation}). No root needed; default: none.
     *
     * @param emulation the links, shared by every host of an experiment
     * @return this
     */
    public HostBuilder linkEmulation(LinkEmulation emulation) {
        this.linkEmulation = Objects.requireNonNull(emulation, "emulation");
        return this;
    }

    /**
     * Adds the in-memory transport on {@code network}.
     *
     * @param network the shared namespace
     * @return this
     */
    public HostBuilder memoryTransport(MemoryNetwork network) {
        transports.add((key, loops) -> new MemoryTransport(network, key, loops, egress));
        return this;
    }

    /**
     * Adds TCP with Noise and yamux.
     *
     * @return this
     */
    public HostBuilder tcpTransport() {
        transports.add((key, loops) -> new TcpTransport(key, loops, YamuxSession.DEFAULT_RECEIVE_WINDOW, true,
                egress));
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
        if (maxConnections < 1) {
            throw new IllegalStateException("maxConnections must be positive, got " + maxConnections);
        }
        DialBackoff backoff = new DialBackoff(backoffBaseNanos, backoffMaxNanos);
        PrivateKey key = identity != null ? identity : Keys.generateEd25519();
        EventLoopGroup owned = null;
        EventLoopGroup loops = group;
        if (loops == null) {
            owned = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
            loops = owned;
        }
        egress = linkEmulation == null ? null : linkEmulation.forHost(key.publicKey().toPeerId());
        List<Transport> built = new ArrayList<>();
        for (var f : transports) built.add(f.apply(key, loops));
        Libp2pHost host = new Libp2pHost(key, built, owned, backoff, clock, maxConnections);
        for (Consumer<Host> s : services) s.accept(host);
        return host;
    }
}
