package dev.starling.p2p.core;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A libp2p node: one identity, some transports, the connections they made and the protocol handlers it
 * serves. Every method is thread-safe and non-blocking (results come as futures). Handlers and listeners
 * run on connection owner threads (see {@link Stream}). Created by {@code dev.starling.p2p.host.HostBuilder}.
 */
public interface Host extends AutoCloseable {
    /**
     * Returns our peer id.
     *
     * @return the peer id of {@link #privateKey()}
     */
    PeerId peerId();

    /**
     * Returns our identity key, for protocols that sign (gossipsub, peer records).
     *
     * @return the private key
     */
    PrivateKey privateKey();

    /**
     * Starts listening on an address.
     *
     * @param address for example {@code /ip4/0.0.0.0/tcp/0} or {@code /memory/alice}
     * @return completes with the bound address (without {@code /p2p/}); fails with P2pException
     */
    CompletableFuture<Multiaddr> listen(Multiaddr address);

    /**
     * Returns the addresses we listen on, without {@code /p2p/}.
     *
     * @return a snapshot
     */
    List<Multiaddr> listenAddresses();

    /**
     * Dials an address, or returns the existing connection to its peer if there is one.
     *
     * @param address the remote address; a trailing {@code /p2p/ID} must match the key the remote proves
     * @return completes with the connection; fails with P2pException (BAD_PEER on a key mismatch)
     */
    CompletableFuture<Connection> dial(Multiaddr address);

    /**
     * Opens a stream to a peer we are connected to, or whose addresses we know from earlier dials.
     *
     * @param peer      the peer
     * @param protocols protocol ids in order of preference
     * @param handler   attached before any data is delivered
     * @return completes with the stream; fails with P2pException (CLOSED when not connected and not dialable)
     */
    CompletableFuture<Stream> newStream(PeerId peer, List<String> protocols, ProtocolHandler handler);

    /**
     * Serves a protocol id on inbound streams, replacing any earlier handler for it.
     *
     * @param protocolId the protocol id, at most 1024 bytes
     * @param handler    the handler
     */
    void setHandler(String protocolId, ProtocolHandler handler);

    /**
     * Stops serving a protocol id.
     *
     * @param protocolId the protocol id
     */
    void removeHandler(String protocolId);

    /**
     * Returns the protocol ids we serve.
     *
     * @return a snapshot
     */
    List<String> protocols();

    /**
     * Adds a connection listener; it also hears about connections that are already open.
     *
     * @param listener the listener
     */
    void addConnectionListener(ConnectionListener listener);

    /**
     * Removes a connection listener.
     *
     * @param listener the listener
     */
    void removeConnectionListener(ConnectionListener listener);

    /**
     * Returns the open connections.
     *
     * @return a snapshot
     */
    List<Connection> connections();

    /**
     * Returns an open connection to a peer.
     *
     * @param peer the peer
     * @return the connection, or empty when not connected
     */
    Optional<Connection> connection(PeerId peer);

    /** Closes every connection and transport. Idempotent; does not throw. */
    @Override
    void close();
}
