package dev.starling.p2p.protocol.identify;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ConnectionListener;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.ProtocolHandler;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * identify (libp2p/specs identify/README.md): answers {@code /ipfs/id/1.0.0} with our identify message,
 * asks every new connection's peer for theirs, accepts {@code /ipfs/id/push/1.0.0} and can push ours.
 * Keeps the latest {@link IdentifyInfo} per connected peer. Thread-safe: the peer table is a concurrent map;
 * stream callbacks run on connection loops; listeners are called there too.
 */
public final class IdentifyService {
    private static final Logger LOG = LoggerFactory.getLogger(IdentifyService.class);
    /** The request protocol id. */
    public static final String PROTOCOL_ID = "/ipfs/id/1.0.0";
    /** The push protocol id. */
    public static final String PUSH_PROTOCOL_ID = "/ipfs/id/push/1.0.0";
    /** Our agent version. */
    public static final String AGENT = "starling/0.1.0";

    private final Host host;
    private final ConcurrentHashMap<PeerId, IdentifyInfo> peers = new ConcurrentHashMap<>();
    private final CopyOnWriteArrayList<Consumer<IdentifyInfo>> listeners = new CopyOnWriteArrayList<>();
    private final Map<Connection, CompletableFuture<IdentifyInfo>> inFlight = new ConcurrentHashMap<>();

    private IdentifyService(Host host) {
        this.host = host;
    }

    /**
     * Installs identify on {@code host}: handlers for both protocol ids and a connection listener that
     * identifies every new peer.
     *
     * @param host the host
     * @return the service
     */
    public static IdentifyService install(Host host) {
        IdentifyService s = new IdentifyService(host);
        // Identify runs on limited (relayed) connections too, as in js-libp2p.
        host.setHandler(PROTOCOL_ID, ProtocolHandler.onLimitedConnectionsToo(stream -> {
            s.sendOurs(stream); // the listener of an identify stream writes at once, then closes
            return new Discard();
        }));
        host.setHandler(PUSH_PROTOCOL_ID, ProtocolHandler.onLimitedConnectionsToo(
                stream -> s.new Reader(stream.remotePeer(), null)));
        host.addConnectionListener(new ConnectionListener() {
            @Override
            public void onConnected(Connection connection) {
                s.identify(connection).exceptionally(e -> {
                    LOG.debug("identify of {} failed: {}", connection.remotePeer(), e.toString());
                    return null;
                });
            }

            @Override
            public void onDisconnected(Connection connection) {
                if (host.connection(connection.remotePeer()).isEmpty()) s.peers.remove(connection.remotePeer());
            }
        });
        return s;
    }

    /**
     * Asks the peer of {@code connection} to identify itself.
     *
     * @param connection the connection
     * @return completes with what it said; fails with P2pException
     */
    public CompletableFuture<IdentifyInfo> identify(Connection connection) {
        // One request per connection at a time: js-libp2p accepts a single inbound identify stream and resets more,
        // so a caller asking while the automatic identify of a new connection runs shares its answer.
        CompletableFuture<IdentifyInfo> result = new CompletableFuture<>();
        CompletableFuture<IdentifyInfo> running = inFlight.putIfAbsent(connection, result);
        if (running != null) {
            return running;
        }
        result.whenComplete((info, e) -> inFlight.remove(connection, result));
        connection.newStream(List.of(PROTOCOL_ID),
                        ProtocolHandler.onLimitedConnectionsToo(s -> new Reader(connection.remotePeer(), result)))
                .whenComplete((s, e) -> {
                    if (e != null) {
                        result.completeExceptionally(e);
                    } else {
                        s.closeWrite(); // we only read on an identify request stream
                    }
                });
        return result;
    }

    /**
     * Returns the latest identify info of a connected peer.
     *
     * @param peer the peer
     * @return the info, or empty if not identified yet
     */
    public Optional<IdentifyInfo> info(PeerId peer) {
        return Optional.ofNullable(peers.get(peer));
    }

    /**
     * Calls {@code listener} each time a peer identifies itself (on the connection's loop).
     *
     * @param listener the listener
     */
    public void addListener(Consumer<IdentifyInfo> listener) {
        listeners.add(listener);
    }

    /** Pushes our current identify message to every connected peer that accepts push. */
    public void pushAll() {
        for (Connection c : host.connections()) {
            IdentifyInfo info = peers.get(c.remotePeer());
            if (info != null && !info.protocols().contains(PUSH_PROTOCOL_ID)) continue;
            c.newStream(List.of(PUSH_PROTOCOL_ID), ProtocolHandler.onLimitedConnectionsToo(s -> {
                sendOurs(s);
                return new Discard();
            }));
        }
    }

    private void sendOurs(Stream stream) {
        byte[] msg = IdentifyCodec.encode(host.privateKey(), host.listenAddresses(), host.protocols(),
                stream.connection().remoteAddress(), AGENT, System.currentTimeMillis());
        stream.write(LengthPrefixedFrames.encode(ByteBufAllocator.DEFAULT, msg));
        stream.closeWrite();
    }

    /** Drops whatever the remote sends on a stream where we only write. */
    private static final class Discard implements StreamHandler {
        @Override
        public void onData(Stream stream, ByteBuf data) {
            data.release();
        }
    }

    /** Reads one identify message (request reply or push) until the remote closes. */
    private final class Reader implements StreamHandler {
        private final PeerId peer;
        private final CompletableFuture<IdentifyInfo> result;
        private LengthPrefixedFrames frames;
        private boolean got;

        Reader(PeerId peer, CompletableFuture<IdentifyInfo> result) {
            this.peer = peer;
            this.result = result;
        }

        @Override
        public void onData(Stream stream, ByteBuf data) {
            if (frames == null) {
                frames = new LengthPrefixedFrames(ByteBufAllocator.DEFAULT, IdentifyCodec.MAX_MESSAGE_BYTES);
            }
            frames.feed(data, msg -> {
                try {
                    if (got) throw P2pException.protocolViolation("more than one identify message on a stream");
                    got = true;
                    IdentifyInfo info = IdentifyCodec.decode(peer, ByteBufUtil.getBytes(msg));
                    peers.put(peer, info);
                    for (Consumer<IdentifyInfo> l : listeners) l.accept(info);
                    if (result != null) result.complete(info);
                } finally {
                    msg.release();
                }
            });
        }

        @Override
        public void onRemoteClosed(Stream stream) {
            if (!got && result != null) {
                result.completeExceptionally(P2pException.protocolViolation("identify stream closed empty"));
            }
            stream.closeWrite();
        }

        @Override
        public void onClosed(Stream stream, boolean reset) {
            if (frames != null) frames.release();
            if (result != null && !result.isDone()) {
                result.completeExceptionally(P2pException.closed("identify stream reset"));
            }
        }
    }
}
