package dev.starling.p2p.relay;

import dev.starling.p2p.relay.CircuitMessages.Limit;
import java.time.Duration;

/**
 * What a relay (hop server) grants, checked once at construction (STYLE rule 8). Immutable.
 *
 * @param reservationTtl     how long a reservation lasts before the client must refresh it
 * @param maxReservations    most peers holding a reservation at once
 * @param maxCircuits        most relayed connections at once
 * @param maxCircuitsPerPeer most relayed connections from one initiator or to one target
 * @param limit              limits of each relayed connection ({@code new Limit(0, 0)}: none)
 * @param exchangeTimeout    how long a hop or stop request may wait for its message or answer
 */
public record RelayConfig(Duration reservationTtl, int maxReservations, int maxCircuits, int maxCircuitsPerPeer,
                          Limit limit, Duration exchangeTimeout) {
    /** Checks every value. */
    public RelayConfig {
        if (reservationTtl.toSeconds() < 1 || maxReservations < 1 || maxCircuits < 1 || maxCircuitsPerPeer < 1
                || limit == null || exchangeTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("bad relay config: ttl " + reservationTtl + ", reservations "
                    + maxReservations + ", circuits " + maxCircuits + " (" + maxCircuitsPerPeer + " per peer), limit "
                    + limit + ", timeout " + exchangeTimeout);
        }
    }

    /**
     * The defaults of go-libp2p's relay: 1 h reservations, 128 reservations, 16 circuits per peer (1024 in all),
     * 2 min and 128 KiB per direction per relayed connection, 30 s to answer.
     *
     * @return the defaults
     */
    public static RelayConfig defaults() {
        return new RelayConfig(Duration.ofHours(1), 128, 1024, 16, new Limit(120, 128 * 1024), Duration.ofSeconds(30));
    }

    /**
     * Returns a copy with other limits per relayed connection.
     *
     * @param newLimit the limits ({@code new Limit(0, 0)}: none, for a relay that carries training traffic)
     * @return the copy
     */
    public RelayConfig withLimit(Limit newLimit) {
        return new RelayConfig(reservationTtl, maxReservations, maxCircuits, maxCircuitsPerPeer, newLimit,
                exchangeTimeout);
    }
}
