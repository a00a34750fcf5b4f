package dev.starling.p2p.kad;

import java.time.Duration;

/**
 * Kademlia DHT parameters, checked once in the constructor.
 *
 * @param k               bucket size and replication factor (20)
 * @param alpha           lookup concurrency (3; js uses 10)
 * @param queryTimeout    how long one request may take before the peer counts as failed
 * @param getQuorum       valid records a GET_VALUE collects before it stops early
 * @param recordTtl       lifetime of stored value records
 * @param providerTtl     lifetime of provider records (48 h)
 * @param maxRecords      most value records stored
 * @param maxValueSize    largest value stored
 * @param maxProviderKeys most keys with provider records
 * @param maxProvidersPerKey most providers remembered per key
 * @param mode            client (queries only) or server (also answers and joins routing tables)
 * @param refreshInterval how often the service refreshes its routing table with a self lookup
 */
public record KadConfig(int k, int alpha, Duration queryTimeout, int getQuorum, Duration recordTtl,
                        Duration providerTtl, int maxRecords, int maxValueSize, int maxProviderKeys,
                        int maxProvidersPerKey, Mode mode, Duration refreshInterval) {
    /** Whether this node serves the DHT protocol. */
    public enum Mode {
        /** Queries others; does not answer and is not added to routing tables. */
        CLIENT,
        /** Answers requests and is added to other peers' routing tables. */
        SERVER
    }

    /** Validates the values. */
    public KadConfig {
        if (k <= 0 || alpha <= 0 || getQuorum <= 0 || maxRecords <= 0 || maxValueSize <= 0 || maxProviderKeys <= 0
                || maxProvidersPerKey <= 0) {
            throw new IllegalArgumentException("kad config: counts must be positive (k=" + k + ", alpha=" + alpha
                    + ", quorum=" + getQuorum + ")");
        }
        if (queryTimeout.isNegative() || queryTimeout.isZero() || recordTtl.isNegative() || recordTtl.isZero()
                || providerTtl.isNegative() || providerTtl.isZero()) {
            throw new IllegalArgumentException("kad config: durations must be positive");
        }
        if (refreshInterval == null || refreshInterval.isNegative() || refreshInterval.isZero()) {
            throw new IllegalArgumentException("kad config: refresh interval must be positive");
        }
        if (mode == null) {
            throw new IllegalArgumentException("kad config: mode is required");
        }
    }

    /**
     * Defaults: k=20, alpha=3, 10 s query timeout, quorum 3, records 36 h, providers 48 h, server mode, refresh
     * every 10 minutes.
     *
     * @return the defaults
     */
    public static KadConfig defaults() {
        return new KadConfig(20, 3, Duration.ofSeconds(10), 3, Duration.ofHours(36), Duration.ofHours(48),
                100_000, 1 << 16, 100_000, 64, Mode.SERVER, Duration.ofMinutes(10));
    }

    /**
     * Returns a copy with another mode.
     *
     * @param newMode the mode
     * @return the copy
     */
    public KadConfig withMode(Mode newMode) {
        return new KadConfig(k, alpha, queryTimeout, getQuorum, recordTtl, providerTtl, maxRecords, maxValueSize,
                maxProviderKeys, maxProvidersPerKey, newMode, refreshInterval);
    }

    /**
     * Returns a copy with another query timeout.
     *
     * @param timeout the timeout
     * @return the copy
     */
    public KadConfig withQueryTimeout(Duration timeout) {
        return new KadConfig(k, alpha, timeout, getQuorum, recordTtl, providerTtl, maxRecords, maxValueSize,
                maxProviderKeys, maxProvidersPerKey, mode, refreshInterval);
    }
}
