package dev.starling.p2p.core;

/**
 * The limits of a "limited" connection (circuit relay v2, relay/circuit-v2.md "Reservation" and "Limit"): a relay
 * that announced a limit ends the relayed connection after {@code durationSeconds} or after {@code dataBytes} in
 * either direction. Only protocols that opt in ({@link ProtocolHandler#runsOnLimitedConnections()}) open or accept
 * streams on such a connection, as in js-libp2p ({@code runOnLimitedConnection}).
 *
 * @param durationSeconds how long the connection may last, 0 for no limit
 * @param dataBytes       bytes the relay passes in each direction, 0 for no limit
 */
public record ConnectionLimits(long durationSeconds, long dataBytes) {
    /** Checks the values. */
    public ConnectionLimits {
        if (durationSeconds < 0 || dataBytes < 0 || durationSeconds == 0 && dataBytes == 0) {
            throw new IllegalArgumentException("connection limits need a positive duration or data cap, got "
                    + durationSeconds + " s, " + dataBytes + " B");
        }
    }
}
