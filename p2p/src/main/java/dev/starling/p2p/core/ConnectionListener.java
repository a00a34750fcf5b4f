package dev.starling.p2p.core;

/**
 * Observes connections coming and going on a {@link Host}. Called on the connection's owner thread;
 * must not block. Exceptions are logged and ignored.
 */
public interface ConnectionListener {
    /**
     * A connection finished its upgrade and is ready for streams.
     *
     * @param connection the new connection
     */
    default void onConnected(Connection connection) {
    }

    /**
     * A connection closed.
     *
     * @param connection the closed connection
     */
    default void onDisconnected(Connection connection) {
    }
}
