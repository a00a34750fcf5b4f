package dev.starling.p2p.protocol.ping;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.ProtocolHandler;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /ipfs/ping/1.0.0} (libp2p/specs ping/ping.md): answers pings by echoing every byte, and measures
 * the round trip of one 32-byte ping to a peer. js-libp2p pings every 10 s and drops connections whose
 * ping fails, so every host should install this. Thread-safe; stream callbacks run on connection loops.
 */
public final class PingService {
    /** The protocol id. */
    public static final String PROTOCOL_ID = "/ipfs/ping/1.0.0";
    /** Bytes per ping. */
    public static final int PING_BYTES = 32;
    /** Most inbound ping streams one peer may hold open at once (spec: two); more are reset. */
    public static final int MAX_INBOUND_STREAMS_PER_PEER = 2;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Host host;

    private PingService(Host host) {
        this.host = host;
    }

    /**
     * Installs the responder on {@code host}.
     *
     * @param host the host
     * @return the service, for {@link #ping}
     */
    public static PingService install(Host host) {
        java.util.concurrent.ConcurrentHashMap<PeerId, Integer> open = new java.util.concurrent.ConcurrentHashMap<>();
        // Runs on limited (relayed) connections too, as in js-libp2p: a ping is 32 bytes each way.
        host.setHandler(PROTOCOL_ID, ProtocolHandler.onLimitedConnectionsToo(stream -> {
            PeerId peer = stream.remotePeer();
            // per peer, across its connections (which may live on different loops): hence the concurrent map
            if (open.merge(peer, 1, Integer::sum) > MAX_INBOUND_STREAMS_PER_PEER) {
                open.computeIfPresent(peer, (k, n) -> n > 1 ? n - 1 : null);
                stream.reset();
                return (s, data) -> data.release();
            }
            return new Echo(() -> open.computeIfPresent(peer, (k, n) -> n > 1 ? n - 1 : null));
        }));
        return new PingService(host);
    }

    /**
     * Pings a connected (or known) peer once.
     *
     * @param peer the peer
     * @return the round trip in nanoseconds, stream negotiation excluded; fails with P2pException
     */
    public CompletableFuture<Long> ping(PeerId peer) {
        byte[] payload = new byte[PING_BYTES];
        RANDOM.nextBytes(payload);
        Initiator handler = new Initiator(payload);
        return host.newStream(peer, List.of(PROTOCOL_ID),
                ProtocolHandler.onLimitedConnectionsToo(s -> handler)).thenCompose(s -> {
            handler.start(s);
            return handler.result;
        });
    }

    /** The responder: echoes bytes as they come; stops reading while the echo cannot be written. */
    private static final class Echo implements StreamHandler {
        private final Runnable onClosed;

        Echo(Runnable onClosed) {
            this.onClosed = onClosed;
        }

        @Override
        public void onClosed(Stream stream, boolean reset) {
            onClosed.run();
        }

        @Override
        public void onData(Stream stream, ByteBuf data) {
            stream.write(data); // ownership passes to the stream
            if (!stream.isWritable()) stream.setAutoRead(false);
        }

        @Override
        public void onWritabilityChanged(Stream stream) {
            stream.setAutoRead(stream.isWritable());
        }

        @Override
        public void onRemoteClosed(Stream stream) {
            stream.closeWrite();
        }
    }

    /** The dialer of one ping: sends 32 bytes, waits for the same 32 back, closes. */
    private static final class Initiator implements StreamHandler {
        private final byte[] payload;
        private final byte[] got = new byte[PING_BYTES];
        private final CompletableFuture<Long> result = new CompletableFuture<>();
        private int received;
        private long sentAt;

        Initiator(byte[] payload) {
            this.payload = payload;
        }

        void start(Stream stream) {
            stream.executor().execute(() -> {
                sentAt = System.nanoTime();
                stream.write(Unpooled.wrappedBuffer(payload));
            });
        }

        @Override
        public void onData(Stream stream, ByteBuf data) {
            try {
                int n = Math.min(data.readableBytes(), PING_BYTES - received);
                data.readBytes(got, received, n);
                received += n;
                if (data.isReadable()) {
                    throw P2pException.protocolViolation("ping reply longer than " + PING_BYTES + " bytes: "
                            + ByteBufUtil.hexDump(data, data.readerIndex(), Math.min(8, data.readableBytes())));
                }
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
                throw e;
            } finally {
                data.release();
            }
            if (received == PING_BYTES) {
                if (Arrays.equals(got, payload)) {
                    result.complete(System.nanoTime() - sentAt);
                } else {
                    result.completeExceptionally(P2pException.badPeer("ping reply differs from the ping"));
                }
                stream.closeWrite();
            }
        }

        @Override
        public void onClosed(Stream stream, boolean reset) {
            result.completeExceptionally(P2pException.closed("ping stream closed before the reply"));
        }
    }
}
