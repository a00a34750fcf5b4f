package dev.starling.p2p.core;

/**
 * Serves one protocol id: called once per stream whose protocol id was negotiated to it, inbound or
 * outbound. Runs on the stream's owner thread and must not block. Bytes the remote sent right behind
 * the negotiation are delivered to the returned handler after this method returns, never before.
 */
@FunctionalInterface
public interface ProtocolHandler {
    /**
     * Attaches to a freshly negotiated stream.
     *
     * @param stream the stream
     * @return the handler that receives the stream's events; never null
     */
    StreamHandler onStream(Stream stream);

    /**
     * Returns whether this protocol may run on a limited connection (see {@link ConnectionLimits}); by default it
     * may not: its streams are refused inbound ({@code na}) and fail outbound on such a connection.
     *
     * @return true to run on limited connections too
     */
    default boolean runsOnLimitedConnections() {
        return false;
    }

    /**
     * Wraps a handler so that it also runs on limited connections (js-libp2p's {@code runOnLimitedConnection}).
     * Meant for small control protocols (ping, identify) whose traffic fits a relay's data limit.
     *
     * @param handler the handler
     * @return a handler that opts in
     */
    static ProtocolHandler onLimitedConnectionsToo(ProtocolHandler handler) {
        return new ProtocolHandler() {
            @Override
            public StreamHandler onStream(Stream stream) {
                return handler.onStream(stream);
            }

            @Override
            public boolean runsOnLimitedConnections() {
                return true;
            }
        };
    }
}
