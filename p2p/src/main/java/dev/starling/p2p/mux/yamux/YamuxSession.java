package dev.starling.p2p.mux.yamux;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.ProtocolHandler;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.mux.NegotiatingHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The yamux session: the protocol state machine of one secured connection, and the {@link Connection} the
 * host sees. Opens and accepts streams (negotiating each with multistream-select), routes frames to them,
 * answers session pings, and handles GoAway.
 *
 * <p><b>Thread.</b> Everything runs on the channel's event loop; public methods called elsewhere are posted
 * there. <b>Buffers.</b> Data payloads from the decoder are passed to streams (which own them) or released.
 * <b>Failures.</b> A protocol violation sends GoAway(protocol error) and closes this connection only.
 */
public final class YamuxSession extends ChannelInboundHandlerAdapter implements Connection {
    private static final Logger LOG = LoggerFactory.getLogger(YamuxSession.class);
    /** The protocol id. */
    public static final String PROTOCOL_ID = "/yamux/1.0.0";
    /** Set on a channel before its upgrade to make the connection limited (a relayed connection with a limit). */
    public static final io.netty.util.AttributeKey<dev.starling.p2p.core.ConnectionLimits> LIMITS =
            io.netty.util.AttributeKey.valueOf("starling.connectionLimits");
    /** Every stream starts with this window, both ways (spec). */
    public static final int INITIAL_WINDOW = 256 * 1024;
    /** The receive window we grant each stream (raised from the initial one on SYN/ACK). */
    public static final int DEFAULT_RECEIVE_WINDOW = 4 * 1024 * 1024;
    /** Largest Data frame we send: fits one Noise message with its 12-byte header. */
    public static final int MAX_SEND_FRAME = 65519 - YamuxFrame.HEADER_BYTES;
    /** Most streams open at once on one connection (js uses 1000 each way). */
    public static final int MAX_STREAMS = 1000;
    /** Keep-alive: a session ping goes out this often; no answer by the next one closes the connection. */
    public static final long KEEPALIVE_INTERVAL_MS = 30_000;
    /** Most outbound streams the remote has not acknowledged yet (spec backlog). */
    public static final int MAX_UNACKED_OUTBOUND = 256;

    private final boolean initiator;
    private final InboundRouter router;
    private final PublicKey remoteKey;
    private final PeerId remotePeer;
    private final Multiaddr localAddress;
    private final Multiaddr remoteAddress;
    private final int receiveWindow;
    private final Map<Integer, YamuxStream> streams = new HashMap<>();
    private final CompletableFuture<Void> closeFuture = new CompletableFuture<>();
    private ChannelHandlerContext ctx;
    private volatile dev.starling.p2p.core.ConnectionLimits limits;
    private int nextStreamId;
    private boolean goAwaySent;
    private boolean goAwayReceived;
    private boolean closed;
    private int pingOpaque;
    private boolean pingOutstanding;
    private io.netty.util.concurrent.ScheduledFuture<?> keepAlive;

    /**
     * Creates a session.
     *
     * @param initiator     true for the dialer (odd stream ids)
     * @param router        serves inbound streams; told about connect and disconnect
     * @param remoteKey     the identity proven in the handshake
     * @param localAddress  our address
     * @param remoteAddress theirs
     * @param receiveWindow the window we grant each stream, at least {@link #INITIAL_WINDOW}
     */
    public YamuxSession(boolean initiator, InboundRouter router, PublicKey remoteKey, Multiaddr localAddress,
                        Multiaddr remoteAddress, int receiveWindow) {
        this.initiator = initiator;
        this.router = router;
        this.remoteKey = remoteKey;
        this.remotePeer = remoteKey.toPeerId();
        this.localAddress = localAddress;
        this.remoteAddress = remoteAddress;
        this.receiveWindow = Math.max(INITIAL_WINDOW, receiveWindow);
        this.nextStreamId = initiator ? 1 : 2;
    }

    int receiveWindow() {
        return receiveWindow;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext context) {
        this.ctx = context;
        this.limits = context.channel().attr(LIMITS).get();
        keepAlive = context.executor().scheduleAtFixedRate(this::keepAliveTick, KEEPALIVE_INTERVAL_MS,
                KEEPALIVE_INTERVAL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        router.onConnected(this);
    }

    // ---- inbound frames ----

    @Override
    public void channelRead(ChannelHandlerContext context, Object msg) {
        if (!(msg instanceof YamuxFrame f)) {
            ReferenceCountUtil.release(msg);
            throw P2pException.internal("unexpected message " + msg.getClass().getSimpleName(), null);
        }
        switch (f.type()) {
            case YamuxFrame.DATA, YamuxFrame.WINDOW_UPDATE -> onStreamFrame(f);
            case YamuxFrame.PING -> onPing(f);
            default -> onGoAway(f);
        }
    }

    private void onStreamFrame(YamuxFrame f) {
        ByteBuf data = f.data();
        try {
            YamuxStream s = streams.get(f.streamId());
            if (f.has(YamuxFrame.SYN)) {
                if (s != null) throw P2pException.protocolViolation("SYN for open stream " + f.streamId());
                s = acceptStream(f.streamId());
                if (s == null) return;
            } else if (s == null) {
                return; // a frame for a stream we already forgot: drop it (released in finally)
            }
            if (f.has(YamuxFrame.ACK)) s.onAck();
            if (f.type() == YamuxFrame.WINDOW_UPDATE) {
                s.onWindowUpdate(f.length());
            } else if (data != null && data.isReadable()) {
                ByteBuf d = data;
                data = null; // s.onData owns it now
                if (!s.onData(d)) {
                    throw P2pException.protocolViolation("stream " + f.streamId() + " exceeded its receive window");
                }
            }
            if (f.has(YamuxFrame.RST)) {
                s.receiveReset();
            } else if (f.has(YamuxFrame.FIN)) {
                s.receiveFin();
            }
        } finally {
            if (data != null) data.release();
        }
    }

    private YamuxStream acceptStream(int id) {
        boolean remoteParity = initiator ? id % 2 == 0 : id % 2 == 1;
        if (id == 0 || !remoteParity) throw P2pException.protocolViolation("remote opened stream with our id " + id);
        if (goAwaySent || streams.size() >= MAX_STREAMS) {
            writeFrame(YamuxFrame.WINDOW_UPDATE, YamuxFrame.RST, id, 0, null);
            flush();
            return null;
        }
        YamuxStream s = new YamuxStream(this, id, false);
        streams.put(id, s);
        s.sendOpen(YamuxFrame.ACK);
        NegotiatingHandler.inbound(s, router, ctx.alloc());
        return s;
    }

    private void onPing(YamuxFrame f) {
        if (f.has(YamuxFrame.SYN)) {
            writeFrame(YamuxFrame.PING, YamuxFrame.ACK, 0, f.length(), null);
            flush();
        } else if (f.has(YamuxFrame.ACK) && f.length() == (pingOpaque & 0xffffffffL)) {
            pingOutstanding = false;
        }
    }

    /** Sends a session ping; closes the connection if the previous one was never answered. */
    private void keepAliveTick() {
        if (closed) return;
        if (pingOutstanding) {
            LOG.info("closing connection to {}: no answer to a yamux ping within {} ms", remotePeer,
                    KEEPALIVE_INTERVAL_MS);
            goAway(YamuxFrame.GO_AWAY_NORMAL);
            ctx.close();
            return;
        }
        pingOutstanding = true;
        writeFrame(YamuxFrame.PING, YamuxFrame.SYN, 0, ++pingOpaque & 0xffffffffL, null);
        flush();
    }

    private void onGoAway(YamuxFrame f) {
        goAwayReceived = true;
        LOG.debug("{} sent GoAway code {}", remotePeer, f.length());
        ctx.close();
    }

    // ---- outbound ----

    void writeFrame(int type, int flags, int streamId, long length, ByteBuf data) {
        if (closed) {
            if (data != null) data.release();
            return;
        }
        ByteBuf header = ctx.alloc().buffer(YamuxFrame.HEADER_BYTES);
        YamuxFrame.writeHeader(header, type, flags, streamId, length);
        if (data == null) {
            ctx.write(header, ctx.voidPromise());
        } else {
            CompositeByteBuf both = ctx.alloc().compositeBuffer(2);
            both.addComponent(true, header).addComponent(true, data); // the composite now owns both
            ctx.write(both, ctx.voidPromise());
        }
    }

    void flush() {
        if (!closed) ctx.flush();
    }

    /**
     * Whether data frames may be written now. Data waits in the streams' queues while the channel is unwritable
     * (Netty's outbound buffer or the link emulation's socket buffer is full), so window updates, pings and
     * stream opens are not queued behind it.
     */
    boolean channelWritable() {
        return ctx == null || ctx.channel().isWritable();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext context) {
        if (context.channel().isWritable()) {
            for (YamuxStream s : new ArrayList<>(streams.values())) s.resume();
        }
        context.fireChannelWritabilityChanged();
    }

    void forget(YamuxStream s) {
        streams.remove(s.id());
    }

    @Override
    public java.util.Optional<dev.starling.p2p.core.ConnectionLimits> limits() {
        return java.util.Optional.ofNullable(limits);
    }

    @Override
    public CompletableFuture<Stream> newStream(List<String> protocols, ProtocolHandler handler) {
        CompletableFuture<Stream> result = new CompletableFuture<>();
        List<String> wanted = List.copyOf(protocols);
        if (ctx == null) {
            result.completeExceptionally(P2pException.closed("connection not ready"));
            return result;
        }
        executor().execute(() -> openStream(wanted, handler, result));
        return result;
    }

    private void openStream(List<String> protocols, ProtocolHandler handler, CompletableFuture<Stream> result) {
        if (closed || goAwayReceived || goAwaySent) {
            result.completeExceptionally(P2pException.closed("connection to " + remotePeer + " is closing"));
            return;
        }
        if (limits != null && !handler.runsOnLimitedConnections()) {
            result.completeExceptionally(P2pException.internal("the connection to " + remotePeer + " is limited "
                    + "(relayed): " + protocols + " does not run on limited connections", null));
            return;
        }
        long unacked = streams.values().stream().filter(s -> s.isInitiator() && !s.isAcked()).count();
        if (streams.size() >= MAX_STREAMS || unacked >= MAX_UNACKED_OUTBOUND) {
            result.completeExceptionally(P2pException.internal("yamux stream limit reached (" + streams.size()
                    + " open, " + unacked + " unacknowledged)", null));
            return;
        }
        int id = nextStreamId;
        nextStreamId += 2;
        YamuxStream s = new YamuxStream(this, id, true);
        streams.put(id, s);
        s.sendOpen(YamuxFrame.SYN);
        try {
            NegotiatingHandler.outbound(s, protocols, handler, result, ctx.alloc());
        } catch (RuntimeException e) {
            s.reset();
            result.completeExceptionally(e);
        }
    }

    // ---- lifecycle ----

    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable thrown) {
        Throwable cause = thrown instanceof DecoderException && thrown.getCause() != null ? thrown.getCause() : thrown;
        P2pException.Category cat = cause instanceof P2pException p ? p.category() : P2pException.Category.INTERNAL;
        if (cause instanceof P2pException || cause instanceof java.io.IOException) {
            LOG.info("closing connection to {}: {} ({})", remotePeer, cause.getMessage(), cat);
        } else {
            LOG.warn("closing connection to {} after an unexpected failure", remotePeer, cause);
        }
        int code = cat == P2pException.Category.INTERNAL ? YamuxFrame.GO_AWAY_INTERNAL_ERROR
                : YamuxFrame.GO_AWAY_PROTOCOL_ERROR;
        goAway(code);
        context.close();
    }

    private void goAway(int code) {
        if (goAwaySent || closed) return;
        goAwaySent = true;
        writeFrame(YamuxFrame.GO_AWAY, 0, 0, code, null);
        flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext context) {
        shutdown();
        context.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext context) {
        shutdown();
    }

    private void shutdown() {
        if (closed) return;
        closed = true;
        if (keepAlive != null) keepAlive.cancel(false);
        for (YamuxStream s : new ArrayList<>(streams.values())) s.receiveReset();
        streams.clear();
        router.onDisconnected(this);
        closeFuture.complete(null);
    }

    @Override
    public void close() {
        if (ctx == null) return;
        if (!executor().inEventLoop()) {
            executor().execute(this::close);
            return;
        }
        goAway(YamuxFrame.GO_AWAY_NORMAL);
        ctx.close();
    }

    @Override
    public CompletableFuture<Void> closeFuture() {
        return closeFuture;
    }

    @Override
    public PeerId remotePeer() {
        return remotePeer;
    }

    @Override
    public PublicKey remotePublicKey() {
        return remoteKey;
    }

    @Override
    public Multiaddr remoteAddress() {
        return remoteAddress;
    }

    @Override
    public Multiaddr localAddress() {
        return localAddress;
    }

    @Override
    public boolean isInitiator() {
        return initiator;
    }

    @Override
    public EventExecutor executor() {
        return ctx.executor();
    }

    @Override
    public int streamCount() {
        return streams.size();
    }

    @Override
    public String toString() {
        return "YamuxSession[" + remotePeer + " " + remoteAddress + "]";
    }
}
