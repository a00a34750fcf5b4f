package dev.starling.p2p.kad;

import java.util.List;

/**
 * Validates and orders the records of one key namespace (the first path segment of a record key, e.g. {@code pk}
 * for {@code /pk/<multihash>}). Must be a pure function of its inputs; must not throw (returns false instead).
 * Called on the DHT owner thread.
 */
public interface RecordValidator {
    /**
     * Checks a record.
     *
     * @param key   the full record key
     * @param value the value
     * @return true when valid
     */
    boolean validate(byte[] key, byte[] value);

    /**
     * Picks the best of several valid values for one key.
     *
     * @param key    the record key
     * @param values candidate values, never empty
     * @return the index of the best value
     */
    int select(byte[] key, List<byte[]> values);
}
