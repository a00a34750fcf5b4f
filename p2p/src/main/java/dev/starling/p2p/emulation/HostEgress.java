package dev.starling.p2p.emulation;

import dev.starling.p2p.core.PeerId;

/**
 * One host's emulated sending side: the uplink its connections share and a {@link LinkDirection} per
 * connection. Thread-safe (the uplink synchronizes itself; each direction belongs to one connection).
 */
public final class HostEgress {
    private final LinkEmulation emulation;
    private final PeerId local;
    private final SharedPacer uplink;

    HostEgress(LinkEmulation emulation, PeerId local, SharedPacer uplink) {
        this.emulation = emulation;
        this.local = local;
        this.uplink = uplink;
    }

    /**
     * A new schedule for what this host sends to {@code remote} on one connection.
     *
     * @param remote the remote host, or {@code null} while unknown (the default profile applies)
     * @return the schedule
     */
    public LinkDirection towards(PeerId remote) {
        return new LinkDirection(emulation.profile(local, remote), uplink, emulation.downlink(remote),
                emulation.seedFor(local, remote));
    }

    /** @return the host these links start from */
    public PeerId local() {
        return local;
    }
}
