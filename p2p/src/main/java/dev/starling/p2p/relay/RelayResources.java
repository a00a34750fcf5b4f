package dev.starling.p2p.relay;

import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.relay.CircuitMessages.Status;
import java.util.HashMap;
import java.util.Map;

/**
 * The relay's bookkeeping, free of I/O (STYLE rule 3): who holds a reservation until when, and how many circuits
 * run from and to each peer. Time is passed in as UNIX milliseconds. Not thread-safe: owned by the relay
 * service's executor.
 */
public final class RelayResources {
    private final RelayConfig config;
    private final Map<PeerId, Long> reservations = new HashMap<>();
    private final Map<PeerId, Integer> circuitsPerPeer = new HashMap<>();
    private int circuits;

    /**
     * Creates empty bookkeeping.
     *
     * @param config the caps
     */
    public RelayResources(RelayConfig config) {
        this.config = config;
    }

    /**
     * Grants or refreshes a reservation.
     *
     * @param peer      the asking peer
     * @param nowMillis UNIX milliseconds
     * @return the expiry in UNIX seconds, or -1 when refused because {@link RelayConfig#maxReservations} peers
     *         already hold one
     */
    public long reserve(PeerId peer, long nowMillis) {
        expire(nowMillis);
        if (!reservations.containsKey(peer) && reservations.size() >= config.maxReservations()) return -1;
        long expire = (nowMillis + config.reservationTtl().toMillis()) / 1000;
        reservations.put(peer, expire);
        return expire;
    }

    /**
     * Returns true if {@code peer} holds a reservation that has not expired.
     *
     * @param peer      the peer
     * @param nowMillis UNIX milliseconds
     * @return whether the relay serves circuits to it
     */
    public boolean hasReservation(PeerId peer, long nowMillis) {
        Long expire = reservations.get(peer);
        return expire != null && expire * 1000 > nowMillis;
    }

    /**
     * Drops a reservation (its holder disconnected).
     *
     * @param peer the peer
     */
    public void drop(PeerId peer) {
        reservations.remove(peer);
    }

    /**
     * Asks for a circuit from {@code source} to {@code target}; on OK the caller must later call
     * {@link #closeCircuit}.
     *
     * @param source    the initiator
     * @param target    the peer it wants
     * @param nowMillis UNIX milliseconds
     * @return OK, NO_RESERVATION or RESOURCE_LIMIT_EXCEEDED
     */
    public Status openCircuit(PeerId source, PeerId target, long nowMillis) {
        if (!hasReservation(target, nowMillis)) return Status.NO_RESERVATION;
        if (circuits >= config.maxCircuits() || count(source) >= config.maxCircuitsPerPeer()
                || count(target) >= config.maxCircuitsPerPeer()) {
            return Status.RESOURCE_LIMIT_EXCEEDED;
        }
        circuits++;
        circuitsPerPeer.merge(source, 1, Integer::sum);
        circuitsPerPeer.merge(target, 1, Integer::sum);
        return Status.OK;
    }

    /**
     * Releases a circuit granted by {@link #openCircuit}.
     *
     * @param source the initiator
     * @param target the target
     */
    public void closeCircuit(PeerId source, PeerId target) {
        circuits--;
        circuitsPerPeer.computeIfPresent(source, (k, n) -> n > 1 ? n - 1 : null);
        circuitsPerPeer.computeIfPresent(target, (k, n) -> n > 1 ? n - 1 : null);
    }

    /**
     * Returns the number of reservations held (expired ones included until the next {@link #reserve}).
     *
     * @return the count
     */
    public int reservationCount() {
        return reservations.size();
    }

    /**
     * Returns the number of circuits open.
     *
     * @return the count
     */
    public int circuitCount() {
        return circuits;
    }

    private int count(PeerId peer) {
        return circuitsPerPeer.getOrDefault(peer, 0);
    }

    private void expire(long nowMillis) {
        reservations.values().removeIf(expire -> expire * 1000 <= nowMillis);
    }
}
