package dev.starling.p2p.emulation;

import dev.starling.p2p.core.PeerId;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which links a set of hosts emulates, without root and without touching the OS: a default {@link LinkProfile}
 * for every direction of every connection, overrides per ordered (sender, receiver) pair, and optionally an uplink
 * per host that all of its connections share (an access link: a volunteer's home upload). Each host shapes what
 * it sends; give every host of an experiment the same {@code LinkEmulation} to shape both directions.
 *
 * <p>Immutable and thread-safe; the {@code with…} methods return new instances. Per-connection state is created
 * by {@link #forHost(PeerId)}.
 */
public final class LinkEmulation {
    private final LinkProfile defaultProfile;
    private final Map<PeerId, Map<PeerId, LinkProfile>> pairs;
    private final long defaultUplinkBitsPerSecond;
    private final Map<PeerId, Long> uplinks;
    private final long seed;
    private final Map<PeerId, Long> downlinks;
    /** The downlinks' pacers, shared by every sender that uses this instance (created on first use). */
    private final Map<PeerId, SharedPacer> downlinkPacers = new ConcurrentHashMap<>();

    private LinkEmulation(LinkProfile defaultProfile, Map<PeerId, Map<PeerId, LinkProfile>> pairs,
                          long defaultUplinkBitsPerSecond, Map<PeerId, Long> uplinks, long seed) {
        this(defaultProfile, pairs, defaultUplinkBitsPerSecond, uplinks, seed, Map.of());
    }

    private LinkEmulation(LinkProfile defaultProfile, Map<PeerId, Map<PeerId, LinkProfile>> pairs,
                          long defaultUplinkBitsPerSecond, Map<PeerId, Long> uplinks, long seed,
                          Map<PeerId, Long> downlinks) {
        this.defaultProfile = defaultProfile;
        this.pairs = pairs;
        this.defaultUplinkBitsPerSecond = defaultUplinkBitsPerSecond;
        this.uplinks = uplinks;
        this.seed = seed;
        this.downlinks = downlinks;
    }

    /**
     * Every connection direction gets {@code profile}; no uplinks.
     *
     * @param profile the link
     * @return the emulation
     */
    public static LinkEmulation uniform(LinkProfile profile) {
        return new LinkEmulation(Objects.requireNonNull(profile, "profile"), Map.of(), 0, Map.of(), 1);
    }

    /**
     * Overrides one direction: what {@code from} sends to {@code to}.
     *
     * @param from    the sending host
     * @param to      the receiving host
     * @param profile the link
     * @return a new emulation
     */
    public LinkEmulation withLink(PeerId from, PeerId to, LinkProfile profile) {
        Map<PeerId, Map<PeerId, LinkProfile>> copy = new HashMap<>();
        pairs.forEach((k, v) -> copy.put(k, new HashMap<>(v)));
        copy.computeIfAbsent(from, k -> new HashMap<>()).put(to, Objects.requireNonNull(profile, "profile"));
        return new LinkEmulation(defaultProfile, copy, defaultUplinkBitsPerSecond, uplinks, seed, downlinks);
    }

    /**
     * Gives every host an uplink of this rate, shared by all its connections.
     *
     * @param rateBitsPerSecond the rate, 0 for none
     * @return a new emulation
     */
    public LinkEmulation withUplink(long rateBitsPerSecond) {
        new LinkProfile(rateBitsPerSecond, 0, 0); // checks the range
        return new LinkEmulation(defaultProfile, pairs, rateBitsPerSecond, uplinks, seed, downlinks);
    }

    /**
     * Gives one host its own uplink rate.
     *
     * @param host              the host
     * @param rateBitsPerSecond the rate, 0 for none
     * @return a new emulation
     */
    public LinkEmulation withUplink(PeerId host, long rateBitsPerSecond) {
        new LinkProfile(rateBitsPerSecond, 0, 0);
        Map<PeerId, Long> copy = new HashMap<>(uplinks);
        copy.put(host, rateBitsPerSecond);
        return new LinkEmulation(defaultProfile, pairs, defaultUplinkBitsPerSecond, copy, seed, downlinks);
    }

    /**
     * Gives one host a downlink of this rate, shared by everything its connections deliver to it (a volunteer's
     * home download). Hosts shape only what they send, so the senders draw on the receiver's downlink: this works
     * for hosts that share this {@code LinkEmulation} instance (one JVM), not across processes.
     *
     * @param host              the receiving host
     * @param rateBitsPerSecond the rate, 0 for none
     * @return a new emulation
     */
    public LinkEmulation withDownlink(PeerId host, long rateBitsPerSecond) {
        new LinkProfile(rateBitsPerSecond, 0, 0);
        Map<PeerId, Long> copy = new HashMap<>(downlinks);
        copy.put(Objects.requireNonNull(host, "host"), rateBitsPerSecond);
        return new LinkEmulation(defaultProfile, pairs, defaultUplinkBitsPerSecond, uplinks, seed, copy);
    }

    /**
     * The shared downlink pacer of a receiving host.
     *
     * @param host the receiver, or {@code null} while unknown
     * @return its pacer, or {@code null} when it has no downlink
     */
    SharedPacer downlink(PeerId host) {
        Long rate = host == null ? null : downlinks.get(host);
        if (rate == null || rate == 0) return null;
        return downlinkPacers.computeIfAbsent(host, h -> new SharedPacer(rate));
    }

    /**
     * Sets the seed of the loss draws (each direction derives its own from it and the two peer ids).
     *
     * @param lossSeed the seed
     * @return a new emulation
     */
    public LinkEmulation withSeed(long lossSeed) {
        return new LinkEmulation(defaultProfile, pairs, defaultUplinkBitsPerSecond, uplinks, lossSeed, downlinks);
    }

    /**
     * The profile of what {@code from} sends to {@code to}.
     *
     * @param from the sender
     * @param to   the receiver, or {@code null} while not yet known (an inbound connection mid-handshake)
     * @return the profile
     */
    public LinkProfile profile(PeerId from, PeerId to) {
        Map<PeerId, LinkProfile> row = pairs.get(from);
        LinkProfile p = row == null || to == null ? null : row.get(to);
        return p != null ? p : defaultProfile;
    }

    /**
     * The uplink rate of a host.
     *
     * @param host the host
     * @return bits per second, 0 for none
     */
    public long uplinkBitsPerSecond(PeerId host) {
        return uplinks.getOrDefault(host, defaultUplinkBitsPerSecond);
    }

    /**
     * Creates one host's sending side: its uplink (if any) and a factory of per-connection schedules.
     *
     * @param local the host
     * @return the host's egress, used by its transports
     */
    public HostEgress forHost(PeerId local) {
        long up = uplinkBitsPerSecond(local);
        return new HostEgress(this, local, up == 0 ? null : new SharedPacer(up));
    }

    long seedFor(PeerId from, PeerId to) {
        return seed * 0x9E3779B97F4A7C15L + from.hashCode() * 31L + (to == null ? 0 : to.hashCode());
    }
}
