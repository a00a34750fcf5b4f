package dev.starling.collectives.mesh;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One-frame-per-stream messaging for a protocol id: each outgoing frame opens a stream, writes one length-prefixed
 * frame and closes its write side; each incoming frame (capped before it is buffered) is copied and posted, with the
 * authenticated sender, to the owner executor. The receiver never answers. Used by {@link MeshButterfly} and
 * {@link MeshAudit}.
 */
final class FrameStreams {
    private static final Logger LOG = LoggerFactory.getLogger(FrameStreams.class);

    private final Host host;
    private final String protocol;

    /**
     * Registers the handler.
     *
     * @param host          the host
     * @param protocol      the protocol id
     * @param owner         where received frames are posted
     * @param maxFrameBytes a larger frame resets its stream
     * @param receiver      called on the owner with (sender, frame)
     */
    FrameStreams(Host host, String protocol, EventExecutor owner, int maxFrameBytes,
                 BiConsumer<PeerId, byte[]> receiver) {
        this.host = host;
        this.protocol = protocol;
        host.setHandler(protocol, stream -> new StreamHandler() {
            private final LengthPrefixedFrames frames = new LengthPrefixedFrames(ByteBufAllocator.DEFAULT,
                    maxFrameBytes);

            @Override
            public void onData(Stream s, ByteBuf data) {
                try {
                    frames.feed(data, frame -> {
                        try {
                            byte[] bytes = ByteBufUtil.getBytes(frame);
                            PeerId sender = s.remotePeer();
                            if (!owner.isShuttingDown()) {
                                owner.execute(() -> receiver.accept(sender, bytes));
                            }
                        } finally {
                            frame.release();
                        }
                    });
                } catch (P2pException e) {
                    LOG.warn("{}: dropping stream from {}: {}", protocol, s.remotePeer(), e.getMessage());
                    s.reset();
                }
            }

            @Override
            public void onRemoteClosed(Stream s) {
                s.closeWrite(); // receivers never answer: close this side too, or every stream leaks
            }

            @Override
            public void onClosed(Stream s, boolean reset) {
                frames.release();
            }
        });
    }

    /**
     * Sends one frame on a new stream.
     *
     * @param to    the peer
     * @param frame the bytes
     * @param what  for the warning if the stream cannot be opened
     */
    void send(PeerId to, byte[] frame, String what) {
        host.newStream(to, List.of(protocol), stream -> new StreamHandler() {
            @Override
            public void onData(Stream s, ByteBuf data) {
                data.release(); // receivers never answer on these protocols
            }
        }).whenComplete((stream, error) -> {
            if (error != null) {
                LOG.warn("{}: cannot open a stream to {} in {}: {}", protocol, to, what, error.getMessage());
                return;
            }
            stream.write(LengthPrefixedFrames.encode(ByteBufAllocator.DEFAULT, frame));
            stream.closeWrite();
        });
    }

    /** Removes the handler. */
    void close() {
        host.removeHandler(protocol);
    }
}
