package dev.starling.p2p.core;

import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A secured, multiplexed connection to one authenticated peer (after Noise and yamux, or the in-memory
 * equivalent). Thread-safe: methods may be called from any thread; state belongs to {@link #executor()}.
 */
public interface Connection {
    /**
     * Returns the authenticated remote peer.
     *
     * @return its peer id, checked against the key proven in the handshake
     */
    PeerId remotePeer();

    /**
     * Returns the remote's public key as proven in the handshake.
     *
     * @return the key
     */
    PublicKey remotePublicKey();

    /**
     * Returns the remote address as seen by us.
     *
     * @return for example {@code /ip4/127.0.0.1/tcp/53211}
     */
    Multiaddr remoteAddress();

    /**
     * Returns our local address of this connection.
     *
     * @return the local multiaddr
     */
    Multiaddr localAddress();

    /**
     * Returns true if we dialed this connection.
     *
     * @return whether we are the initiator
     */
    boolean isInitiator();

    /**
     * Returns the owner thread of this connection and its streams.
     *
     * @return the event loop
     */
    EventExecutor executor();

    /**
     * Opens a stream and negotiates the first of {@code protocols} the remote accepts.
     *
     * @param protocols protocol ids in order of preference, non-empty
     * @param handler   attached on the owner thread before any data is delivered
     * @return completes with the stream; fails with {@link P2pException} (PROTOCOL_VIOLATION if none was
     *         accepted, CLOSED if the connection closed, BAD_PEER if the stream limit is reached)
     */
    CompletableFuture<Stream> newStream(List<String> protocols, ProtocolHandler handler);

    /**
     * Returns the limits of a limited connection (a relayed connection whose relay announced a limit); only
     * protocols that opt in ({@link ProtocolHandler#runsOnLimitedConnections()}) run on one.
     *
     * @return the limits, or empty for an unlimited connection
     */
    default Optional<ConnectionLimits> limits() {
        return Optional.empty();
    }

    /**
     * Returns the number of streams open now.
     *
     * @return the count
     */
    int streamCount();

    /** Closes the connection (yamux GoAway, then the socket); open streams are reset. Idempotent. */
    void close();

    /**
     * Completes when the connection has closed; never completes exceptionally.
     *
     * @return the close future
     */
    CompletableFuture<Void> closeFuture();
}
