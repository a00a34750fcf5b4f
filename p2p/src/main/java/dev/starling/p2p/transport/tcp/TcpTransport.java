package dev.starling.p2p.transport.tcp;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.MultiaddrProtocol;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.Transport;
import dev.starling.p2p.mux.yamux.YamuxSession;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * TCP with the libp2p upgrade (multistream-select, Noise XX, yamux) on Netty NIO. Listens on
 * {@code /ip4|ip6/ADDR/tcp/PORT}, dials those and {@code /dns|dns4|dns6/NAME/tcp/PORT}. Thread-safe; each
 * connection is owned by one event loop of the group given at construction (not shut down here).
 */
public final class TcpTransport implements Transport {
    /** How long a TCP connect may take. */
    public static final int CONNECT_TIMEOUT_MS = 10_000;
    /** Most inbound connections still in their upgrade (multistream, Noise) at once; more are closed on accept. */
    public static final int MAX_PENDING_INBOUND_UPGRADES = 128;

    private final PrivateKey identity;
    private final EventLoopGroup group;
    private final int receiveWindow;
    private final boolean inlineMuxer;
    private final ChannelGroup channels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger pendingInbound = new AtomicInteger();

    /**
     * Creates a transport with the default yamux receive window.
     *
     * @param identity our key
     * @param group    event loops for connections and listeners
     */
    public TcpTransport(PrivateKey identity, EventLoopGroup group) {
        this(identity, group, YamuxSession.DEFAULT_RECEIVE_WINDOW);
    }

    /**
     * Creates a transport.
     *
     * @param identity      our key
     * @param group         event loops for connections and listeners
     * @param receiveWindow yamux receive window per stream, bytes
     */
    public TcpTransport(PrivateKey identity, EventLoopGroup group, int receiveWindow) {
        this(identity, group, receiveWindow, true);
    }

    /**
     * Creates a transport.
     *
     * @param identity      our key
     * @param group         event loops for connections and listeners
     * @param receiveWindow yamux receive window per stream, bytes
     * @param inlineMuxer   list yamux in Noise extensions (skips a multistream round trip when both sides do);
     *                      false negotiates it with multistream-select after the handshake
     */
    public TcpTransport(PrivateKey identity, EventLoopGroup group, int receiveWindow, boolean inlineMuxer) {
        this.identity = identity;
        this.group = group;
        this.receiveWindow = receiveWindow;
        this.inlineMuxer = inlineMuxer;
    }

    @Override
    public boolean canDial(Multiaddr address) {
        return address.valueOf(MultiaddrProtocol.TCP).isPresent() && host(address).isPresent()
                && address.components().stream().noneMatch(c -> c.protocol() == MultiaddrProtocol.P2P_CIRCUIT);
    }

    private static Optional<String> host(Multiaddr a) {
        for (MultiaddrProtocol p : new MultiaddrProtocol[] {MultiaddrProtocol.IP4, MultiaddrProtocol.IP6,
            MultiaddrProtocol.DNS, MultiaddrProtocol.DNS4, MultiaddrProtocol.DNS6}) {
            Optional<String> v = a.valueOf(p);
            if (v.isPresent()) return v;
        }
        return Optional.empty();
    }

    @Override
    public CompletableFuture<Multiaddr> listen(Multiaddr address, InboundRouter router) {
        CompletableFuture<Multiaddr> result = new CompletableFuture<>();
        InetSocketAddress bindTo = new InetSocketAddress(host(address).orElse("0.0.0.0"),
                Integer.parseInt(address.valueOf(MultiaddrProtocol.TCP).orElse("0")));
        ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        if (pendingInbound.incrementAndGet() > MAX_PENDING_INBOUND_UPGRADES) {
                            pendingInbound.decrementAndGet(); // half-open handshakes must not pile up
                            ch.close();
                            return;
                        }
                        CompletableFuture<Connection> upgraded = new CompletableFuture<>();
                        upgraded.whenComplete((c, e) -> pendingInbound.decrementAndGet());
                        ConnectionUpgrader.install(ch, new ConnectionUpgrader(false, identity, null, router,
                                upgraded, receiveWindow, inlineMuxer));
                    }
                });
        ChannelFuture bind = b.bind(bindTo);
        bind.addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(P2pException.internal("cannot listen on " + address + ": "
                        + f.cause().getMessage(), f.cause()));
                return;
            }
            Channel server = bind.channel();
            channels.add(server);
            // report the family and host that were asked for (a 0.0.0.0 bind shows up as the IPv6 wildcard)
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            String family = address.valueOf(MultiaddrProtocol.IP6).isPresent() ? "ip6" : "ip4";
            result.complete(Multiaddr.fromString("/" + family + "/" + bindTo.getHostString() + "/tcp/" + port));
        });
        return result;
    }

    @Override
    public CompletableFuture<Connection> dial(Multiaddr address, PeerId expectedPeer, InboundRouter router) {
        CompletableFuture<Connection> result = new CompletableFuture<>();
        Optional<String> host = host(address);
        if (host.isEmpty() || address.valueOf(MultiaddrProtocol.TCP).isEmpty()) {
            result.completeExceptionally(P2pException.internal("not a TCP address: " + address, null));
            return result;
        }
        int port = Integer.parseInt(address.valueOf(MultiaddrProtocol.TCP).get());
        Bootstrap b = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ConnectionUpgrader.install(ch, new ConnectionUpgrader(true, identity, expectedPeer, router,
                                result, receiveWindow, inlineMuxer));
                    }
                });
        b.connect(host.get(), port).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(P2pException.closed("cannot connect to " + address + ": "
                        + f.cause().getMessage()));
            }
        });
        return result;
    }

    @Override
    public void close() {
        channels.close().awaitUninterruptibly(2000);
    }
}
