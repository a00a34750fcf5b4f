package dev.starling.p2p.protocol.oneshot;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The smallest request/response shape: the dialer opens a stream for a protocol id, the listener
 * writes one uvarint-length-prefixed message and closes its side, the dialer reads it (capped
 * before buffering) and resets. Used to fetch small documents such as a run's signed manifest.
 * Threads: handlers run on each stream's owner thread; the futures complete there.
 */
public final class OneMessageProtocol {
    private OneMessageProtocol() {
    }

    /**
     * Serves {@code body} to every stream opened for {@code protocol}.
     *
     * @param host     the host
     * @param protocol the protocol id
     * @param body     the message, computed per stream (must be quick)
     */
    public static void serve(Host host, String protocol, Supplier<byte[]> body) {
        host.setHandler(protocol, stream -> {
            stream.write(LengthPrefixedFrames.encode(ByteBufAllocator.DEFAULT, body.get()));
            stream.closeWrite();
            return new StreamHandler() {
                @Override
                public void onData(Stream s, ByteBuf data) {
                    data.release(); // the dialer has nothing to say on this protocol
                }
            };
        });
    }

    /**
     * Fetches the one message {@code peer} serves on {@code protocol}.
     *
     * @param host     the host (already connected to {@code peer}, or able to dial it)
     * @param peer     the serving peer
     * @param protocol the protocol id
     * @param maxBytes largest message accepted
     * @return the message; fails with {@link P2pException} if the stream closes first or the message is too large
     */
    public static CompletableFuture<byte[]> fetch(Host host, PeerId peer, String protocol, int maxBytes) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        host.newStream(peer, List.of(protocol), stream -> new StreamHandler() {
            private final LengthPrefixedFrames frames = new LengthPrefixedFrames(ByteBufAllocator.DEFAULT, maxBytes);

            @Override
            public void onData(Stream s, ByteBuf data) {
                try {
                    frames.feed(data, message -> {
                        try {
                            result.complete(ByteBufUtil.getBytes(message));
                        } finally {
                            message.release();
                        }
                    });
                } catch (P2pException e) {
                    result.completeExceptionally(e);
                }
                if (result.isDone()) {
                    s.reset();
                }
            }

            @Override
            public void onClosed(Stream s, boolean reset) {
                frames.release();
                result.completeExceptionally(P2pException.protocolViolation(peer + " closed " + protocol
                        + " before sending its message"));
            }
        }).whenComplete((stream, error) -> {
            if (error != null) {
                result.completeExceptionally(error);
            }
        });
        return result;
    }
}
