package dev.starling.coordinator.dashboard;

import java.net.InetSocketAddress;

/**
 * How the dashboard listens. Checked once, here.
 *
 * @param bind       address and port; port 0 picks a free one (tests)
 * @param adminToken the run owner's token for admin actions; empty disables them
 * @param maxStreams most live-update (SSE) clients at once
 */
public record DashboardConfig(InetSocketAddress bind, String adminToken, int maxStreams) {
    /** Default dashboard port. */
    public static final int DEFAULT_PORT = 8080;

    /** Checks the values. */
    public DashboardConfig {
        if (bind == null) {
            throw new IllegalArgumentException("dashboard bind address is required");
        }
        if (adminToken == null) {
            adminToken = "";
        }
        if (maxStreams < 1 || maxStreams > 10_000) {
            throw new IllegalArgumentException("dashboard maxStreams must be 1..10000, got " + maxStreams);
        }
    }
}
