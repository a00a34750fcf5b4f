package dev.starling.p2p.transport.tcp;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.multistream.MultistreamHandler;
import dev.starling.p2p.mux.yamux.YamuxFrameDecoder;
import dev.starling.p2p.mux.yamux.YamuxSession;
import dev.starling.p2p.security.noise.NoiseFrameDecoder;
import dev.starling.p2p.security.noise.NoiseHandler;
import dev.starling.p2p.security.noise.NoiseHandshake;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a raw channel into a {@link YamuxSession}: multistream-select {@code /noise}, the Noise handshake,
 * then yamux, inlined in Noise's extensions when both sides list it or else by a second multistream-select.
 * It sits at the tail of the pipeline, installs each next stage when the previous one finishes, and closes
 * the channel (failing the dial) on any error or after {@link #HANDSHAKE_TIMEOUT_MS}. Runs on the channel's
 * event loop.
 */
final class ConnectionUpgrader extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionUpgrader.class);
    /** How long the whole upgrade may take. */
    static final long HANDSHAKE_TIMEOUT_MS = 10_000;
    private static final String NAME = "upgrade";
    private static final List<String> MUXERS = List.of(YamuxSession.PROTOCOL_ID);

    private final boolean initiator;
    private final PrivateKey identity;
    private final PeerId expectedPeer;
    private final InboundRouter router;
    private final CompletableFuture<Connection> result;
    private final int receiveWindow;
    private final List<String> muxers;
    private ScheduledFuture<?> timeout;
    private YamuxSession session;

    ConnectionUpgrader(boolean initiator, PrivateKey identity, PeerId expectedPeer, InboundRouter router,
                       CompletableFuture<Connection> result, int receiveWindow, boolean inlineMuxer) {
        this.muxers = inlineMuxer ? MUXERS : List.of();
        this.initiator = initiator;
        this.identity = identity;
        this.expectedPeer = expectedPeer;
        this.router = router;
        this.result = result;
        this.receiveWindow = receiveWindow;
    }

    /** Installs the first stage and this upgrader on a fresh channel. */
    static void install(Channel ch, ConnectionUpgrader upgrader) {
        ch.pipeline().addLast("mss-security", new MultistreamHandler(
                upgrader.initiator ? List.of(NoiseHandshake.PROTOCOL_ID) : null,
                NoiseHandshake.PROTOCOL_ID::equals, upgrader::addNoise));
        ch.pipeline().addLast(NAME, upgrader);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> fail(ctx, P2pException.closed("connection upgrade timed out after "
                + HANDSHAKE_TIMEOUT_MS + " ms")), HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
    }

    private void addNoise(ChannelHandlerContext mss, String protocol) {
        mss.pipeline().addAfter(mss.name(), "noise-frames", new NoiseFrameDecoder());
        mss.pipeline().addAfter("noise-frames", "noise", new NoiseHandler(initiator, identity, muxers, expectedPeer));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (!(evt instanceof NoiseHandler.Established est)) {
            ctx.fireUserEventTriggered(evt);
            return;
        }
        if (YamuxSession.PROTOCOL_ID.equals(est.muxer())) {
            addYamux(ctx, est.remoteIdentity(), null);
        } else {
            ctx.pipeline().addBefore(NAME, "mss-muxer", new MultistreamHandler(
                    initiator ? List.of(YamuxSession.PROTOCOL_ID) : null, YamuxSession.PROTOCOL_ID::equals,
                    (mss, id) -> addYamux(ctx, est.remoteIdentity(), mss.name())));
        }
    }

    private void addYamux(ChannelHandlerContext ctx, PublicKey remote, String after) {
        Channel ch = ctx.channel();
        session = new YamuxSession(initiator, router, remote, toMultiaddr(ch.localAddress()),
                toMultiaddr(ch.remoteAddress()), receiveWindow);
        YamuxFrameDecoder decoder = new YamuxFrameDecoder(Math.max(receiveWindow, YamuxSession.INITIAL_WINDOW));
        if (after == null) {
            ctx.pipeline().addBefore(NAME, "yamux-frames", decoder);
        } else {
            ctx.pipeline().addAfter(after, "yamux-frames", decoder);
        }
        ctx.pipeline().addAfter("yamux-frames", "yamux", session);
        if (timeout != null) timeout.cancel(false);
        result.complete(session);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
        fail(ctx, P2pException.internal("bytes reached the end of the pipeline", null));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (timeout != null) timeout.cancel(false);
        result.completeExceptionally(P2pException.closed("connection closed during upgrade"));
        ctx.fireChannelInactive();
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        if (timeout != null) timeout.cancel(false);
        if (!result.isDone()) {
            LOG.debug("upgrade of {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.info("closing connection {}: {}", ctx.channel().remoteAddress(), cause.getMessage());
        }
        result.completeExceptionally(cause instanceof P2pException ? cause
                : P2pException.internal("connection failed: " + cause, cause));
        ctx.close();
    }

    static Multiaddr toMultiaddr(SocketAddress address) {
        if (address instanceof MultiaddrSocketAddress m) return m.multiaddr();
        if (!(address instanceof InetSocketAddress isa) || isa.getAddress() == null) {
            return Multiaddr.fromString("/dns/unknown/tcp/0");
        }
        String ip = isa.getAddress().getHostAddress();
        String family = isa.getAddress() instanceof java.net.Inet6Address ? "ip6" : "ip4";
        int pct = ip.indexOf('%');
        if (pct >= 0) ip = ip.substring(0, pct);
        return Multiaddr.fromString("/" + family + "/" + ip + "/tcp/" + isa.getPort());
    }
}
