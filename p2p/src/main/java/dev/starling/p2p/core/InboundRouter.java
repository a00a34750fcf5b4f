package dev.starling.p2p.core;

import java.util.Optional;
import java.util.Set;

/**
 * What a {@link Transport} asks its host about: which protocol handler serves an inbound stream, and
 * where finished connections go. Implemented by the host; called on connection owner threads, so it
 * must be thread-safe and must not block.
 */
public interface InboundRouter {
    /**
     * Finds the handler for a protocol id the remote proposes.
     *
     * @param protocolId the proposed id
     * @return the handler, or empty to answer {@code na}
     */
    Optional<ProtocolHandler> handler(String protocolId);

    /**
     * Returns the protocol ids we accept inbound (for identify).
     *
     * @return a snapshot
     */
    Set<String> supportedProtocols();

    /**
     * A connection (inbound or outbound) finished its upgrade.
     *
     * @param connection the connection
     */
    void onConnected(Connection connection);

    /**
     * A connection closed.
     *
     * @param connection the connection
     */
    void onDisconnected(Connection connection);
}
