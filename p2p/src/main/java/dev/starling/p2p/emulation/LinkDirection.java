package dev.starling.p2p.emulation;

import java.util.SplittableRandom;

/**
 * One direction of one emulated connection, as an I/O-free schedule (STYLE rule 3): for each write it says when
 * the write's last byte reaches the other end. The bytes pass the host's uplink (if it has one), this link's own
 * pacer and the receiver's downlink (if it has one; cut-through: the slowest sets the pace), then travel for the
 * link's one-way delay.
 * Arrivals never reorder: a write arrives no earlier than the one before it, as on a TCP byte stream.
 *
 * <p>Loss. The transports under this layer are reliable byte streams, so a lost segment cannot simply vanish; what
 * the emulation reproduces is what loss does to a TCP (Reno/NewReno-style) sender, in two parts:
 * <ol>
 *   <li>Per write of {@code b} bytes, each of its ⌈b / {@link LinkProfile#SEGMENT_BYTES}⌉ segments is lost with the
 *       profile's probability (seeded, reproducible). A lost segment is sent twice (its bytes cost serialization
 *       time twice) and, because TCP delivers in order, the write and everything behind it arrive one round trip
 *       later (fast retransmit after duplicate acks: 2 × delay).</li>
 *   <li>Congestion control halves its window on every loss, so a lossy path cannot be filled: the link's rate is
 *       capped at the Mathis et al. (1997) steady-state throughput {@code MSS/RTT × sqrt(3 / (2p))} with
 *       RTT = 2 × delay (no cap when the delay is 0).</li>
 * </ol>
 * Timeouts (RTO) and slow start are not modelled.
 *
 * <p>Thread: the owning connection's event loop; not thread-safe (the shared uplink synchronizes itself).
 */
public final class LinkDirection {
    private final LinkProfile profile;
    private final Pacer pacer;
    private final SharedPacer uplink;
    private final SharedPacer downlink;
    private final SplittableRandom random;
    private final long retransmitNanos;
    private long lastArrival = Long.MIN_VALUE;
    private long bytesAdmitted;
    private long segmentsLost;

    /**
     * Creates the schedule.
     *
     * @param profile the link
     * @param uplink  the host's shared uplink, or {@code null}
     * @param seed    seed of the loss draws
     */
    LinkDirection(LinkProfile profile, SharedPacer uplink, long seed) {
        this(profile, uplink, null, seed);
    }

    /**
     * Creates the schedule.
     *
     * @param profile  the link
     * @param uplink   the sending host's shared uplink, or {@code null}
     * @param downlink the receiving host's shared downlink, or {@code null}
     * @param seed     seed of the loss draws
     */
    LinkDirection(LinkProfile profile, SharedPacer uplink, SharedPacer downlink, long seed) {
        this.profile = profile;
        this.uplink = uplink;
        this.downlink = downlink;
        this.random = new SplittableRandom(seed);
        this.pacer = new Pacer(effectiveRate(profile));
        this.retransmitNanos = 2 * profile.delayNanos();
    }

    /**
     * The link's rate after the loss cap.
     *
     * @param profile the link
     * @return bits per second, 0 for unlimited
     */
    static long effectiveRate(LinkProfile profile) {
        long rate = profile.rateBitsPerSecond();
        double p = profile.lossProbability();
        if (p == 0 || profile.delayNanos() == 0) return rate;
        double rttSeconds = 2 * profile.delayNanos() / 1e9;
        long mathis = Math.max(1, (long) (LinkProfile.SEGMENT_BYTES * 8 / rttSeconds * Math.sqrt(1.5 / p)));
        return rate == 0 ? Math.min(mathis, LinkProfile.MAX_RATE_BITS_PER_SECOND) : Math.min(rate, mathis);
    }

    /**
     * Schedules a write.
     *
     * @param bytes    its length (0 for a control event that carries no bytes but must keep its place)
     * @param nowNanos when it was written
     * @return when it arrives at the other end (never before an earlier write's arrival)
     */
    public long admit(long bytes, long nowNanos) {
        int lost = 0;
        if (profile.lossProbability() > 0 && bytes > 0) {
            long segments = (bytes + LinkProfile.SEGMENT_BYTES - 1) / LinkProfile.SEGMENT_BYTES;
            for (long s = 0; s < segments; s++) {
                if (random.nextDouble() < profile.lossProbability()) lost++;
            }
        }
        long wire = bytes + (long) lost * LinkProfile.SEGMENT_BYTES;
        long leftUplink = uplink == null ? nowNanos : uplink.finish(wire, nowNanos);
        long leftLink = pacer.finish(wire, nowNanos);
        long departed = leftUplink - leftLink > 0 ? leftUplink : leftLink;
        if (downlink != null) {
            long leftDownlink = downlink.finish(wire, nowNanos);
            departed = leftDownlink - departed > 0 ? leftDownlink : departed;
        }
        long arrival = departed + profile.delayNanos() + (lost > 0 ? retransmitNanos : 0);
        if (lastArrival != Long.MIN_VALUE && lastArrival - arrival > 0) arrival = lastArrival;
        lastArrival = arrival;
        bytesAdmitted += bytes;
        segmentsLost += lost;
        return arrival;
    }

    /**
     * The slowest rate on the path (this link after the loss cap, the sender's uplink, the receiver's downlink).
     *
     * @return bits per second, 0 when nothing limits the rate
     */
    public long bottleneckBitsPerSecond() {
        long slowest = 0;
        for (long rate : new long[] {pacer.rateBitsPerSecond(), uplink == null ? 0 : uplink.rateBitsPerSecond(),
                downlink == null ? 0 : downlink.rateBitsPerSecond()}) {
            if (rate != 0 && (slowest == 0 || rate < slowest)) slowest = rate;
        }
        return slowest;
    }

    /** @return the profile this direction emulates */
    public LinkProfile profile() {
        return profile;
    }

    /** @return payload bytes scheduled so far (retransmissions not counted) */
    public long bytesAdmitted() {
        return bytesAdmitted;
    }

    /** @return segments the loss model dropped (and retransmitted) so far */
    public long segmentsLost() {
        return segmentsLost;
    }
}
