package dev.starling.coordinator.node;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PrivateKey;
import java.nio.file.Path;
import java.util.List;

/**
 * What a coordinator needs, checked once by the command line before it is built.
 *
 * @param manifest  the run manifest file
 * @param identity  the coordinator's libp2p key; it signs the manifest
 * @param listen    multiaddrs to listen on (for example {@code /ip4/0.0.0.0/tcp/4001})
 * @param announce  multiaddrs to advertise instead of the listen addresses, or empty
 * @param dashboard where the dashboard listens, with the run owner's token
 */
public record CoordinatorConfig(Path manifest, PrivateKey identity, List<Multiaddr> listen, List<Multiaddr> announce,
                                DashboardConfig dashboard) {
    /** Copies the lists and checks the values. */
    public CoordinatorConfig {
        listen = List.copyOf(listen);
        announce = List.copyOf(announce);
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("a coordinator needs at least one listen address");
        }
    }
}
