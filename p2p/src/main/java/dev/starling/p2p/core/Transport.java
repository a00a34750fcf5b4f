package dev.starling.p2p.core;

import java.util.concurrent.CompletableFuture;

/**
 * Produces upgraded (authenticated, multiplexed) {@link Connection}s for one kind of address: TCP with
 * Noise and yamux, or the in-memory network. A transport belongs to one host and signs with its key.
 * Thread-safe; futures complete on the connection's owner thread or the transport's boss thread.
 */
public interface Transport extends AutoCloseable {
    /**
     * Returns true if this transport can dial {@code address}.
     *
     * @param address the address
     * @return whether {@link #dial} may succeed
     */
    boolean canDial(Multiaddr address);

    /**
     * Starts listening.
     *
     * @param address the local address, for example {@code /ip4/0.0.0.0/tcp/0}
     * @param router  serves inbound streams and receives connections
     * @return completes with the bound address (port filled in); fails with P2pException INTERNAL
     */
    CompletableFuture<Multiaddr> listen(Multiaddr address, InboundRouter router);

    /**
     * Dials and upgrades a connection.
     *
     * @param address      the remote address; a trailing {@code /p2p/ID} is the expected peer
     * @param expectedPeer the peer we must reach, or null to accept whoever answers
     * @param router       serves streams the remote opens on this connection
     * @return completes with the connection; fails with P2pException (BAD_PEER if the remote's key does not
     *         match {@code expectedPeer}, CLOSED on refusal or timeout, PROTOCOL_VIOLATION on bad bytes)
     */
    CompletableFuture<Connection> dial(Multiaddr address, PeerId expectedPeer, InboundRouter router);

    /** Stops listening and closes every connection of this transport. Idempotent; does not throw. */
    @Override
    void close();
}
