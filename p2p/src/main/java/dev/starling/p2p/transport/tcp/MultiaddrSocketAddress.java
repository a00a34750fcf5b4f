package dev.starling.p2p.transport.tcp;

import dev.starling.p2p.core.Multiaddr;
import java.io.Serial;
import java.net.SocketAddress;

/**
 * A channel address that is a multiaddr rather than an IP socket (for example the two ends of a relayed
 * connection, {@code /ip4/.../p2p/RELAY/p2p-circuit/p2p/PEER}); the upgrade reports it as the connection's address.
 * Immutable.
 */
public final class MultiaddrSocketAddress extends SocketAddress {
    @Serial
    private static final long serialVersionUID = 1L;
    private final transient Multiaddr multiaddr;

    /**
     * Wraps a multiaddr.
     *
     * @param multiaddr the address
     */
    public MultiaddrSocketAddress(Multiaddr multiaddr) {
        this.multiaddr = multiaddr;
    }

    /**
     * Returns the multiaddr.
     *
     * @return the address
     */
    public Multiaddr multiaddr() {
        return multiaddr;
    }

    @Override
    public String toString() {
        return String.valueOf(multiaddr);
    }
}
