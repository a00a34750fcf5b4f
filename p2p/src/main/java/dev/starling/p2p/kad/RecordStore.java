package dev.starling.p2p.kad;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Local DHT value records with per-namespace validation and selection (kad-dht/README.md "Value storage"). A record
 * whose namespace has no validator is refused, so a peer cannot store arbitrary data here. A PUT of a value the
 * selector ranks below the stored one is refused. Records expire after their TTL; the store holds at most
 * {@code maxRecords} records and values of at most {@code maxValueSize} bytes.
 *
 * <p>I/O-free, time passed in. Owner thread only; not thread-safe.
 */
public final class RecordStore {
    /** Outcome of {@link #put}. */
    public enum PutResult {
        /** Stored (new or better than the stored value). */
        STORED,
        /** The value is not better than the one we hold (an expected outcome). */
        OLDER,
        /** No validator for the namespace, or the validator said no. */
        INVALID,
        /** Size or count cap reached. */
        FULL
    }

    /**
     * A stored record.
     *
     * @param key             the record key
     * @param value           the value
     * @param receivedAtNanos when we stored it (owner clock)
     * @param timeReceived    the RFC 3339 wall-clock time the putter gave, or empty
     */
    public record StoredRecord(byte[] key, byte[] value, long receivedAtNanos, String timeReceived) {
    }

    private final Map<String, RecordValidator> validators = new HashMap<>();
    private final Map<KadKey, StoredRecord> records = new HashMap<>();
    private final long ttlNanos;
    private final int maxRecords;
    private final int maxValueSize;

    /**
     * Creates a store.
     *
     * @param ttlNanos     record lifetime
     * @param maxRecords   most records held
     * @param maxValueSize largest value accepted
     */
    public RecordStore(long ttlNanos, int maxRecords, int maxValueSize) {
        if (ttlNanos <= 0 || maxRecords <= 0 || maxValueSize <= 0) {
            throw new IllegalArgumentException("record store limits must be positive");
        }
        this.ttlNanos = ttlNanos;
        this.maxRecords = maxRecords;
        this.maxValueSize = maxValueSize;
    }

    /**
     * Registers a namespace.
     *
     * @param namespace the first path segment without slashes, e.g. {@code pk}
     * @param validator its validator and selector
     */
    public void addValidator(String namespace, RecordValidator validator) {
        validators.put(namespace, validator);
    }

    /**
     * Returns the namespace of a key: the text between the first and second {@code /}.
     *
     * @param key the record key
     * @return the namespace, or empty when the key is not namespaced
     */
    public static Optional<String> namespaceOf(byte[] key) {
        if (key.length < 3 || key[0] != '/') {
            return Optional.empty();
        }
        for (int i = 1; i < key.length; i++) {
            if (key[i] == '/') {
                return i == 1 ? Optional.empty()
                        : Optional.of(new String(key, 1, i - 1, StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    /**
     * Validates a record against its namespace without storing it.
     *
     * @param key   the key
     * @param value the value
     * @return true when a validator exists and accepts it
     */
    public boolean isValid(byte[] key, byte[] value) {
        Optional<String> ns = namespaceOf(key);
        RecordValidator v = ns.map(validators::get).orElse(null);
        if (v == null || value.length > maxValueSize) {
            return false;
        }
        try {
            return v.validate(key, value);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Picks the best of several values for a key with the namespace's selector.
     *
     * @param key    the key
     * @param values valid values, not empty
     * @return the index of the best
     */
    public int select(byte[] key, List<byte[]> values) {
        RecordValidator v = namespaceOf(key).map(validators::get).orElseThrow();
        int i = v.select(key, values);
        return i < 0 || i >= values.size() ? 0 : i;
    }

    /**
     * Stores a record if valid and not worse than what we hold.
     *
     * @param key      the key
     * @param value    the value
     * @param nowNanos the time
     * @return the outcome
     */
    public PutResult put(byte[] key, byte[] value, long nowNanos) {
        return put(key, value, "", nowNanos);
    }

    /**
     * Stores a record with the wall-clock time it carries (echoed in GET_VALUE answers; js-libp2p requires it).
     *
     * @param key          the key
     * @param value        the value
     * @param timeReceived RFC 3339 time, or empty
     * @param nowNanos     the time
     * @return the outcome
     */
    public PutResult put(byte[] key, byte[] value, String timeReceived, long nowNanos) {
        if (!isValid(key, value)) {
            return PutResult.INVALID;
        }
        KadKey k = KadKey.of(key);
        StoredRecord old = get(key, nowNanos).orElse(null);
        if (old != null && select(key, List.of(old.value(), value)) == 0
                && !java.util.Arrays.equals(old.value(), value)) {
            return PutResult.OLDER;
        }
        if (old == null && records.size() >= maxRecords) {
            expire(nowNanos);
            if (records.size() >= maxRecords) {
                return PutResult.FULL;
            }
        }
        records.put(k, new StoredRecord(key.clone(), value.clone(), nowNanos, timeReceived));
        return PutResult.STORED;
    }

    /**
     * Returns the live record for a key.
     *
     * @param key      the key
     * @param nowNanos the time
     * @return the record, or empty
     */
    public Optional<StoredRecord> get(byte[] key, long nowNanos) {
        StoredRecord r = records.get(KadKey.of(key));
        if (r == null || nowNanos - r.receivedAtNanos() > ttlNanos) {
            return Optional.empty();
        }
        return Optional.of(r);
    }

    /**
     * Drops expired records.
     *
     * @param nowNanos the time
     */
    public void expire(long nowNanos) {
        Iterator<StoredRecord> it = records.values().iterator();
        while (it.hasNext()) {
            if (nowNanos - it.next().receivedAtNanos() > ttlNanos) {
                it.remove();
            }
        }
    }

    /**
     * Returns the number of records held (including expired ones not yet dropped).
     *
     * @return the size
     */
    public int size() {
        return records.size();
    }
}
