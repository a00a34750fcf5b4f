package dev.starling.p2p.security.noise;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.security.SecureRandom;
import java.util.List;

/**
 * The Noise secure channel on a Netty pipeline, after a {@link NoiseFrameDecoder}: runs the
 * {@link NoiseHandshake}, fires {@link Established} when it completes, then decrypts inbound frames and
 * encrypts outbound bytes (split into messages of at most {@link #MAX_PLAINTEXT} bytes).
 *
 * <p><b>Thread.</b> The channel's event loop. <b>Buffers.</b> Inbound frames are released here; decrypted
 * buffers go to the next handler, which releases them. Outbound buffers are released here after encryption.
 * Failures are thrown into the pipeline (the upgrade handler closes the channel).
 */
public final class NoiseHandler extends ChannelDuplexHandler {
    /** Largest plaintext in one Noise transport message: 65535 minus the 16-byte tag. */
    public static final int MAX_PLAINTEXT = NoiseFrameDecoder.MAX_FRAME - NoiseCipherState.TAG;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The user event fired once the remote is authenticated. */
    public record Established(PublicKey remoteIdentity, String muxer) {
    }

    private final NoiseHandshake handshake;
    private NoiseCipherState sender;
    private NoiseCipherState receiver;
    private boolean started;

    /**
     * Creates the handler.
     *
     * @param initiator    true for the dialer
     * @param identity     our identity key
     * @param muxers       muxers to offer for inlined negotiation
     * @param expectedPeer the dialed peer (initiator) or null
     */
    public NoiseHandler(boolean initiator, PrivateKey identity, List<String> muxers, PeerId expectedPeer) {
        this.handshake = new NoiseHandshake(initiator, identity, muxers, expectedPeer, RANDOM);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        if (ctx.channel().isActive()) start(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (started) return;
        started = true;
        if (handshake.isOurTurn()) sendHandshake(ctx);
    }

    private void sendHandshake(ChannelHandlerContext ctx) {
        byte[] msg = handshake.writeMessage();
        ByteBuf out = ctx.alloc().buffer(2 + msg.length);
        out.writeShort(msg.length).writeBytes(msg);
        ctx.writeAndFlush(out);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf frame)) {
            ReferenceCountUtil.release(msg);
            throw P2pException.internal("unexpected message " + msg.getClass().getSimpleName(), null);
        }
        if (receiver != null) {
            ByteBuf plain = ctx.alloc().heapBuffer(Math.max(0, frame.readableBytes() - NoiseCipherState.TAG));
            try {
                receiver.decrypt(frame, plain);
            } catch (RuntimeException e) {
                plain.release();
                throw e;
            } finally {
                frame.release();
            }
            if (plain.isReadable()) {
                ctx.fireChannelRead(plain); // the next handler releases it
            } else {
                plain.release();
            }
            return;
        }
        byte[] bytes;
        try {
            bytes = ByteBufUtil.getBytes(frame);
        } finally {
            frame.release();
        }
        handshake.readMessage(bytes);
        if (!handshake.isComplete() && handshake.isOurTurn()) sendHandshake(ctx);
        if (handshake.isComplete()) complete(ctx);
    }

    private void complete(ChannelHandlerContext ctx) {
        NoiseCipherState[] cs = handshake.split();
        sender = cs[0];
        receiver = cs[1];
        ctx.fireUserEventTriggered(new Established(handshake.remoteIdentity(), handshake.muxer()));
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.write(msg, promise);
            return;
        }
        if (sender == null) {
            in.release();
            promise.setFailure(P2pException.internal("write before the noise handshake completed", null));
            return;
        }
        try {
            int total = in.readableBytes();
            int chunks = Math.max(1, (total + MAX_PLAINTEXT - 1) / MAX_PLAINTEXT);
            ByteBuf out = ctx.alloc().heapBuffer(total + chunks * (2 + NoiseCipherState.TAG));
            try {
                while (in.isReadable()) {
                    int n = Math.min(MAX_PLAINTEXT, in.readableBytes());
                    out.writeShort(n + NoiseCipherState.TAG);
                    sender.encrypt(in, n, out);
                }
            } catch (RuntimeException e) {
                out.release();
                throw e;
            }
            ctx.write(out, promise);
        } finally {
            in.release();
        }
    }

    /**
     * Returns true once the handshake has completed.
     *
     * @return whether transport messages flow
     */
    public boolean isEstablished() {
        return sender != null;
    }
}
