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
 * @param livenessNanos how long a peer shows as alive after its last status
 */
public record CoordinatorConfig(Path manifest, PrivateKey identity, List<Multiaddr> listen, List<Multiaddr> announce,
                                DashboardConfig dashboard, long livenessNanos) {
    /** Copies the lists and checks the values. */
    public CoordinatorConfig {
        listen = List.copyOf(listen);
        announce = List.copyOf(announce);
        if (listen.isEmpty()) {
            throw new IllegalArgumentException("a coordinator needs at least one listen address");
        }
        if (livenessNanos <= 0) {
            throw new IllegalArgumentException("livenessNanos must be positive, got " + livenessNanos);
        }
    }

    /**
     * A configuration with the default liveness window, {@link CoordinatorNode#LIVENESS_NANOS}.
     *
     * @param manifest  the run manifest file
     * @param identity  the coordinator's libp2p key
     * @param listen    multiaddrs to listen on
     * @param announce  multiaddrs to advertise instead, or empty
     * @param dashboard where the dashboard listens
     */
    public CoordinatorConfig(Path manifest, PrivateKey identity, List<Multiaddr> listen, List<Multiaddr> announce,
                             DashboardConfig dashboard) {
        this(manifest, identity, listen, announce, dashboard, CoordinatorNode.LIVENESS_NANOS);
    }
}
