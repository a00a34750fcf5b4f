package dev.starling.fault.sync;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Downloads one state image from several sources at once, I/O-free: the caller asks {@link #next} which chunk
 * requests to send, and reports each answer with {@link #onChunk} or {@link #onFailure}. Chunks are spread over the
 * usable sources, a few in flight on each; every answer is checked against the {@link StateManifest} (length and
 * SHA-256), and a source that sends a bad chunk, fails a stream or misses its deadline is excluded, its chunks handed
 * to the others. What has arrived is kept, so a download survives any source dying and resumes when a new source
 * is {@linkplain #addSource added}. Deadlines come from the measured transfer rate, not a constant: a request
 * must arrive within {@code slack ×} the time the bytes outstanding ahead of it (on all sources: they share the
 * joiner's downlink) take at the rate measured so far over all sources together. Near the end, idle sources
 * duplicate the oldest outstanding requests so one slow source cannot hold up the tail. Time is an argument
 * everywhere. The θ section's SHA-256 is computed while the download runs, over the prefix of chunks received in
 * order (they are asked for in order), so the final check against the published hash costs only the remainder.
 * Not thread-safe: one owner thread.
 */
public final class SyncPlan {
    /**
     * Ask {@code source} for chunk {@code chunk}.
     *
     * @param source the source
     * @param chunk  the chunk index
     */
    public record Request(String source, int chunk) {
    }

    /** What became of an answer. */
    public enum Outcome {
        /** The chunk was new and valid; it is stored. */
        ACCEPTED,
        /** Valid, but another source sent it first. */
        DUPLICATE,
        /** Wrong length or hash: the source is excluded. */
        REJECTED,
        /** Not outstanding (late after a timeout, or from an excluded source); dropped. */
        IGNORED
    }

    /** Where the download stands. */
    public enum State {
        /** Chunks are missing and some source can still send them. */
        RUNNING,
        /** Every chunk arrived and matched. */
        COMPLETE,
        /** Chunks are missing and every source is excluded: add a source to resume. */
        STALLED
    }

    /**
     * How hard to push the sources.
     *
     * @param inFlightPerSource requests outstanding per source (pipelining hides the link's latency)
     * @param firstTimeoutNanos deadline of a request before any rate is measured
     * @param minTimeoutNanos   shortest deadline, whatever the rate
     * @param maxTimeoutNanos   longest deadline
     * @param slack             how many times the expected transfer time (of everything outstanding when the request
     *                          is sent, at the measured rate) a request may take
     */
    public record Settings(int inFlightPerSource, long firstTimeoutNanos, long minTimeoutNanos, long maxTimeoutNanos,
                           double slack) {
        /** Checks the values. */
        public Settings {
            if (inFlightPerSource < 1 || firstTimeoutNanos <= 0 || minTimeoutNanos <= 0
                    || maxTimeoutNanos < minTimeoutNanos || !(slack >= 1)) {
                throw new IllegalArgumentException("bad sync settings: " + inFlightPerSource + " in flight, timeouts "
                        + firstTimeoutNanos + "/" + minTimeoutNanos + "/" + maxTimeoutNanos + " ns, slack " + slack);
            }
        }

        /**
         * Settings for a download over the internet: 4 requests per source, 30 s before the first rate is known, a
         * deadline 4× the expected time but at least 2 s and at most 60 s.
         *
         * @return the settings
         */
        public static Settings defaults() {
            return new Settings(4, 30_000_000_000L, 2_000_000_000L, 60_000_000_000L, 4);
        }
    }

    private static final class Source {
        private final String id;
        private int inFlight;
        private int strikes;
        private long bytes;
        private String excluded;

        Source(String id) {
            this.id = id;
        }
    }

    private record Outstanding(Source source, long issuedAt, long deadline) {
    }

    private final StateManifest manifest;
    private final Settings settings;
    /** Allocated at the first chunk, so the first requests are already out while a large image is zeroed. */
    private byte[] image;
    private final boolean[] have;
    private final Map<String, Source> sources = new LinkedHashMap<>();
    private final Map<Integer, List<Outstanding>> outstanding = new HashMap<>();
    private int received;
    private long firstIssue;
    private boolean issuedAny;
    private long validBytes;
    private final MessageDigest thetaDigest;
    private final long thetaBytes;
    private long hashed;
    private String thetaHash;
    private int cursor;
    private int rotation;

    /**
     * Plans the download of the state a manifest describes.
     *
     * @param manifest the agreed manifest
     * @param settings pipelining and deadlines
     * @param sources  sources serving exactly this manifest
     */
    public SyncPlan(StateManifest manifest, Settings settings, List<String> sources) {
        this.manifest = manifest;
        this.settings = settings;
        this.have = new boolean[manifest.chunks()];
        this.thetaBytes = manifest.sections().getFirst().bytes();
        try {
            this.thetaDigest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
        sources.forEach(this::addSource);
    }

    /**
     * Adds a source (one that serves the same manifest); a stalled download resumes with it.
     *
     * @param id the source
     */
    public void addSource(String id) {
        sources.putIfAbsent(id, new Source(id));
    }

    /**
     * Expires overdue requests and hands out new ones.
     *
     * @param nowNanos now
     * @return the requests to send now
     */
    public List<Request> next(long nowNanos) {
        expire(nowNanos);
        List<Request> out = new ArrayList<>();
        List<Source> usable = usable();
        if (usable.isEmpty() || received == have.length) {
            return out;
        }
        boolean progress = true;
        while (progress) {
            progress = false;
            for (int k = 0; k < usable.size(); k++) {
                Source s = usable.get((k + rotation) % usable.size());
                if (s.inFlight >= settings.inFlightPerSource()) {
                    continue;
                }
                int chunk = nextFresh();
                if (chunk < 0) {
                    chunk = oldestOutstandingElsewhere(s);
                }
                if (chunk < 0) {
                    continue;
                }
                issue(s, chunk, nowNanos);
                out.add(new Request(s.id, chunk));
                progress = true;
            }
        }
        rotation++;
        return out;
    }

    private int nextFresh() {
        for (int i = 0; i < have.length; i++) {
            int c = (cursor + i) % have.length;
            if (!have[c] && !outstanding.containsKey(c)) {
                cursor = c + 1;
                return c;
            }
        }
        return -1;
    }

    private int oldestOutstandingElsewhere(Source s) {
        int best = -1;
        long bestIssued = Long.MAX_VALUE;
        for (Map.Entry<Integer, List<Outstanding>> e : outstanding.entrySet()) {
            List<Outstanding> list = e.getValue();
            if (list.size() == 1 && list.getFirst().source() != s && list.getFirst().issuedAt() < bestIssued) {
                best = e.getKey();
                bestIssued = list.getFirst().issuedAt();
            }
        }
        return best;
    }

    private void issue(Source s, int chunk, long now) {
        if (!issuedAny) {
            issuedAny = true;
            firstIssue = now;
        }
        long deadline = now + timeout(s, chunk, now);
        s.inFlight++;
        outstanding.computeIfAbsent(chunk, c -> new ArrayList<>(2)).add(new Outstanding(s, now, deadline));
    }

    /**
     * The deadline of a new request: everything outstanding (on every source, since they share the joiner's link)
     * plus this chunk, at the rate measured over all sources since the first request, times the slack.
     */
    private long timeout(Source s, int chunk, long now) {
        long base;
        if (validBytes == 0 || now - firstIssue <= 0) {
            base = settings.firstTimeoutNanos();
        } else {
            double bytesPerNano = validBytes / (double) (now - firstIssue);
            long queued = manifest.chunkLength(chunk);
            for (Map.Entry<Integer, List<Outstanding>> e : outstanding.entrySet()) {
                queued += (long) manifest.chunkLength(e.getKey()) * e.getValue().size();
            }
            base = (long) Math.min(settings.maxTimeoutNanos(), Math.max(settings.minTimeoutNanos(),
                    settings.slack() * queued / bytesPerNano));
        }
        return Math.min(settings.maxTimeoutNanos() << 2, base << Math.min(s.strikes, 4));
    }

    private void expire(long now) {
        List<Source> late = new ArrayList<>();
        Iterator<Map.Entry<Integer, List<Outstanding>>> it = outstanding.entrySet().iterator();
        while (it.hasNext()) {
            List<Outstanding> list = it.next().getValue();
            list.removeIf(o -> {
                if (o.deadline() > now) {
                    return false;
                }
                o.source().inFlight--;
                late.add(o.source());
                return true;
            });
            if (list.isEmpty()) {
                it.remove();
            }
        }
        for (Source s : late) {
            if (s.excluded != null) {
                continue;
            }
            s.strikes++;
            boolean others = usable().stream().anyMatch(o -> o != s);
            if (others) {
                exclude(s, "too slow: a chunk missed its deadline");
            }
        }
    }

    private List<Source> usable() {
        return sources.values().stream().filter(s -> s.excluded == null).toList();
    }

    /**
     * A source answered a request.
     *
     * @param source   the source
     * @param chunk    the chunk it answers
     * @param data     the bytes
     * @param offset   where they start
     * @param length   how many
     * @param nowNanos now
     * @return what became of them
     */
    public Outcome onChunk(String source, int chunk, byte[] data, int offset, int length, long nowNanos) {
        Source s = sources.get(source);
        Outstanding o = take(s, chunk);
        if (o == null) {
            return Outcome.IGNORED;
        }
        if (!manifest.matches(chunk, data, offset, length)) {
            exclude(s, "chunk " + chunk + " of " + length + " bytes does not match the manifest (want "
                    + manifest.chunkLength(chunk) + " bytes and its SHA-256)");
            return Outcome.REJECTED;
        }
        validBytes += length;
        s.strikes = 0;
        s.bytes += length;
        if (have[chunk]) {
            return Outcome.DUPLICATE;
        }
        if (image == null) {
            image = new byte[(int) manifest.totalBytes()];
        }
        System.arraycopy(data, offset, image, chunk * manifest.chunkBytes(), length);
        have[chunk] = true;
        received++;
        hashReceivedPrefix();
        List<Outstanding> rest = outstanding.remove(chunk);
        if (rest != null) {
            rest.forEach(r -> r.source().inFlight--);
        }
        return Outcome.ACCEPTED;
    }

    /** Feeds the θ digest with the received chunks that now continue the hashed prefix. */
    private void hashReceivedPrefix() {
        while (hashed < thetaBytes && have[(int) (hashed / manifest.chunkBytes())]) {
            long chunkEnd = (hashed / manifest.chunkBytes() + 1) * manifest.chunkBytes();
            int length = (int) (Math.min(chunkEnd, thetaBytes) - hashed);
            thetaDigest.update(image, (int) hashed, length);
            hashed += length;
        }
    }

    /**
     * SHA-256 of the assembled θ section (the first), to compare with the published θ hash.
     *
     * @return 64 lowercase hex digits
     * @throws IllegalStateException before {@link State#COMPLETE}
     */
    public String thetaHash() {
        image();
        if (thetaHash == null) {
            thetaHash = HexFormat.of().formatHex(thetaDigest.digest());
        }
        return thetaHash;
    }

    /**
     * A request failed (the stream was reset, the source said it no longer holds the state, or sent garbage).
     *
     * @param source the source
     * @param chunk  the chunk
     * @param reason one line for the report
     */
    public void onFailure(String source, int chunk, String reason) {
        Source s = sources.get(source);
        take(s, chunk);
        exclude(s, reason);
    }

    private Outstanding take(Source s, int chunk) {
        if (s == null || s.excluded != null) {
            return null;
        }
        List<Outstanding> list = outstanding.get(chunk);
        if (list == null) {
            return null;
        }
        for (Iterator<Outstanding> it = list.iterator(); it.hasNext();) {
            Outstanding o = it.next();
            if (o.source() == s) {
                it.remove();
                s.inFlight--;
                if (list.isEmpty()) {
                    outstanding.remove(chunk);
                }
                return o;
            }
        }
        return null;
    }

    private void exclude(Source s, String reason) {
        if (s == null || s.excluded != null) {
            return;
        }
        s.excluded = reason;
        Iterator<Map.Entry<Integer, List<Outstanding>>> it = outstanding.entrySet().iterator();
        while (it.hasNext()) {
            List<Outstanding> list = it.next().getValue();
            list.removeIf(o -> o.source() == s);
            if (list.isEmpty()) {
                it.remove();
            }
        }
        s.inFlight = 0;
        cursor = 0;
    }

    /**
     * Where the download stands.
     *
     * @return the state
     */
    public State state() {
        if (received == have.length) {
            return State.COMPLETE;
        }
        return usable().isEmpty() ? State.STALLED : State.RUNNING;
    }

    /**
     * Chunks received so far.
     *
     * @return the count
     */
    public int received() {
        return received;
    }

    /**
     * The assembled bytes.
     *
     * @return the image (owned by the plan)
     * @throws IllegalStateException before {@link State#COMPLETE}
     */
    public byte[] image() {
        if (received != have.length) {
            throw new IllegalStateException(received + " of " + have.length + " chunks received");
        }
        return image;
    }

    /**
     * Why each excluded source was excluded.
     *
     * @return source → reason
     */
    public Map<String, String> excluded() {
        Map<String, String> out = new LinkedHashMap<>();
        sources.values().stream().filter(s -> s.excluded != null).forEach(s -> out.put(s.id, s.excluded));
        return out;
    }

    /**
     * Valid bytes each source sent.
     *
     * @return source → bytes
     */
    public Map<String, Long> bytesBySource() {
        Map<String, Long> out = new LinkedHashMap<>();
        sources.values().forEach(s -> out.put(s.id, s.bytes));
        return out;
    }
}
