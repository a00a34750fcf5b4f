package dev.starling.fault.sync;

/**
 * What a peer serves on {@link StateSyncService#PROTOCOL}: the manifest and chunks of the states it holds. Called on
 * stream threads; implementations must be thread-safe and quick.
 */
public interface StateSource {
    /**
     * The encoded manifest of a round's state.
     *
     * @param round the round, or 0 for the newest held
     * @return {@link StateManifest#encode()} bytes, or null when that round is not held
     */
    byte[] manifest(long round);

    /**
     * One chunk of a round's state.
     *
     * @param round the round
     * @param index the chunk
     * @return its bytes, or null when that round or chunk is not held
     */
    byte[] chunk(long round, int index);
}
