package dev.starling.coordinator.admission;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.MultiaddrProtocol;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.pubsub.GossipSub;
import dev.starling.p2p.pubsub.PubsubMessage;
import dev.starling.p2p.pubsub.ValidationResult;
import dev.starling.protocol.RunProtocols;
import dev.starling.protocol.admission.AdmissionException;
import dev.starling.protocol.admission.AdmissionPolicy;
import dev.starling.protocol.admission.JoinToken;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Enforces a run's admission policy at the gossip layer, on the coordinator and on every peer alike: a validator on
 * each guarded topic (telemetry, group formation) rejects messages whose authenticated origin the policy refuses,
 * so a peer that is not admitted never reaches a group roster or the dashboard. Under the token policy, each node
 * gossips its own {@link JoinToken} on the run's admission topic every {@link #REPUBLISH_SECONDS}; receivers check
 * it (run, peer id, expiry, run-key signature) and admit its sender. Until a sender's token has been seen, its
 * messages are ignored (neither delivered nor forwarded, no score penalty). The coordinator's own id is always
 * admitted, and peers the run owner banned are dropped whatever the policy. With a per-host cap ({@link HostLimit},
 * the manifest's {@code max_peers_per_host}) an admitted id is still refused while its IP address already has that
 * many other ids in the run (Sybil joins). Thread: every decision runs on the
 * gossip router's owner executor, which owns the admitted and banned sets; {@link #close()} stops the republishing.
 */
public final class AdmissionGate implements AutoCloseable {
    /** How often a node gossips its token so late joiners learn it. */
    public static final long REPUBLISH_SECONDS = 10;
    /** Most admitted ids remembered; tokens beyond it are checked again each time. */
    public static final int MAX_ADMITTED = 100_000;

    /** Told about admissions and refusals, on the gossip owner thread; must be quick. */
    public interface Listener {
        /**
         * A peer showed a valid token for the first time.
         *
         * @param peerId the peer
         */
        void admitted(String peerId);

        /**
         * A peer's token was refused.
         *
         * @param peerId the peer
         * @param why    one line
         */
        void refused(String peerId, String why);
    }

    private final AdmissionPolicy policy;
    private final LongSupplier epochSeconds;
    private final Listener listener;
    private final Set<PeerId> admitted = ConcurrentHashMap.newKeySet();
    private final Set<PeerId> refusedOnce = ConcurrentHashMap.newKeySet();
    private final Set<PeerId> banned = ConcurrentHashMap.newKeySet();
    private final Set<PeerId> overQuota = ConcurrentHashMap.newKeySet();
    private final HostQuota quota;
    private final Function<PeerId, Optional<String>> hostOf;
    private final EventExecutor owner;
    private final ScheduledFuture<?> republish;
    private volatile long rejectedMessages;

    /**
     * The run's Sybil cap: at most {@code maxPerHost} admitted ids per host, and how to tell an id's host.
     *
     * @param maxPerHost most ids per IP address, 0 for no cap (the manifest's {@code max_peers_per_host})
     * @param hostOf     the host (IP address) a peer is directly connected from, empty if unknown (not directly
     *                   connected, or only through a relay); called on the gossip owner thread
     */
    public record HostLimit(int maxPerHost, Function<PeerId, Optional<String>> hostOf) {
        /** No cap. */
        public static final HostLimit NONE = new HostLimit(0, peer -> Optional.empty());

        /**
         * The cap with hosts read from {@code host}'s direct connections: the IP address of the peer's connection,
         * none for a relayed one (its address is the relay's).
         *
         * @param maxPerHost most ids per IP address, 0 for no cap
         * @param host       this node's host
         * @return the limit
         */
        public static HostLimit fromConnections(int maxPerHost, Host host) {
            return new HostLimit(maxPerHost, peer -> host.connection(peer).flatMap(c -> ipOf(c.remoteAddress())));
        }

        /**
         * The IP address of a direct connection's remote address.
         *
         * @param address the remote address
         * @return its ip4 value or ip6 /64 prefix, empty for a relayed address or one without an IP
         */
        public static Optional<String> ipOf(Multiaddr address) {
            if (address.components().stream().anyMatch(c -> c.protocol() == MultiaddrProtocol.P2P_CIRCUIT)) {
                return Optional.empty();
            }
            Optional<String> v4 = address.valueOf(MultiaddrProtocol.IP4);
            if (v4.isPresent()) {
                return v4;
            }
            // One IPv6 host usually holds a whole /64, so the /64 counts as the host.
            return address.valueOf(MultiaddrProtocol.IP6).map(ip -> {
                String[] groups = ip.split(":", -1);
                return groups.length == 8 ? String.join(":", groups[0], groups[1], groups[2], groups[3]) + "::/64"
                        : ip;
            });
        }
    }

    private AdmissionGate(GossipSub gossip, EventExecutor owner, AdmissionPolicy policy, String runId,
                          List<String> guardedTopics, byte[] ownToken, LongSupplier epochSeconds, Listener listener,
                          HostLimit limit) {
        this.quota = new HostQuota(limit.maxPerHost());
        this.hostOf = limit.hostOf();
        this.policy = policy;
        this.owner = owner;
        this.epochSeconds = epochSeconds;
        this.listener = listener;
        for (String topic : guardedTopics) {
            gossip.setValidator(topic, this::validateGuarded);
        }
        if (policy.usesTokens()) {
            String topic = RunProtocols.admissionTopic(runId);
            gossip.setValidator(topic, this::validateToken);
            gossip.subscribe(topic, message -> { });
            this.republish = ownToken == null ? null : owner.scheduleAtFixedRate(
                    () -> gossip.publish(topic, ownToken), 0, REPUBLISH_SECONDS, TimeUnit.SECONDS);
        } else {
            this.republish = null;
        }
    }

    /**
     * Installs the validators on {@code gossip} and, when this node holds a token, starts gossiping it.
     *
     * @param gossip        the node's router
     * @param owner         the router's owner executor (the validators and the timer run there)
     * @param policy        the run's policy
     * @param runId         the run id (names the admission topic)
     * @param guardedTopics topics whose senders must be admitted
     * @param ownToken      this node's encoded token, or null (the coordinator, or a run without tokens)
     * @param epochSeconds  Unix seconds now, for token expiry
     * @param listener      told about admissions and refusals
     * @return the gate
     */
    public static AdmissionGate install(GossipSub gossip, EventExecutor owner, AdmissionPolicy policy, String runId,
                                        List<String> guardedTopics, byte[] ownToken, LongSupplier epochSeconds,
                                        Listener listener) {
        return install(gossip, owner, policy, runId, guardedTopics, ownToken, epochSeconds, listener, HostLimit.NONE);
    }

    /**
     * As {@link #install(GossipSub, EventExecutor, AdmissionPolicy, String, List, byte[], LongSupplier, Listener)},
     * with a Sybil cap: an id the policy admits is still refused (its messages rejected, and refused as a group
     * member) while its host already has {@code limit.maxPerHost()} other admitted ids.
     *
     * @param gossip        the node's router
     * @param owner         the router's owner executor (the validators and the timer run there)
     * @param policy        the run's policy
     * @param runId         the run id (names the admission topic)
     * @param guardedTopics topics whose senders must be admitted
     * @param ownToken      this node's encoded token, or null (the coordinator, or a run without tokens)
     * @param epochSeconds  Unix seconds now, for token expiry
     * @param listener      told about admissions and refusals
     * @param limit         the per-host cap
     * @return the gate
     */
    public static AdmissionGate install(GossipSub gossip, EventExecutor owner, AdmissionPolicy policy, String runId,
                                        List<String> guardedTopics, byte[] ownToken, LongSupplier epochSeconds,
                                        Listener listener, HostLimit limit) {
        return new AdmissionGate(gossip, owner, policy, runId, guardedTopics, ownToken, epochSeconds, listener,
                limit);
    }

    private ValidationResult validateGuarded(dev.starling.p2p.pubsub.PeerKey source, PubsubMessage message) {
        PeerId from = new PeerId(message.from());
        ValidationResult result = switch (policy.check(from.toBase58())) {
            case ADMITTED -> ValidationResult.ACCEPT;
            case REFUSED -> ValidationResult.REJECT;
            case NEEDS_TOKEN -> admitted.contains(from) ? ValidationResult.ACCEPT
                    : refusedOnce.contains(from) ? ValidationResult.REJECT : ValidationResult.IGNORE;
        };
        if (banned.contains(from) || result == ValidationResult.ACCEPT && !withinHostCap(from)) {
            result = ValidationResult.REJECT;
        }
        if (result != ValidationResult.ACCEPT) {
            rejectedMessages++;
        }
        return result;
    }

    private ValidationResult validateToken(dev.starling.p2p.pubsub.PeerKey source, PubsubMessage message) {
        PeerId from = new PeerId(message.from());
        String id = from.toBase58();
        String why;
        try {
            why = policy.refusal(id, JoinToken.decode(message.data()), epochSeconds.getAsLong());
        } catch (AdmissionException e) {
            why = e.getMessage();
        }
        if (why != null) {
            if (refusedOnce.size() < MAX_ADMITTED && refusedOnce.add(from)) {
                listener.refused(id, why);
            }
            admitted.remove(from);
            return ValidationResult.REJECT;
        }
        refusedOnce.remove(from);
        if (admitted.size() < MAX_ADMITTED && admitted.add(from)) {
            listener.admitted(id);
        }
        return ValidationResult.ACCEPT;
    }

    /**
     * Whether {@code peer} holds (or now gets) one of its host's slots. A peer whose host is unknown here (not
     * directly connected) is not judged. Owner thread.
     */
    private boolean withinHostCap(PeerId peer) {
        if (!quota.capped()) {
            return true;
        }
        Optional<String> host = hostOf.apply(peer);
        if (host.isEmpty()) {
            return !overQuota.contains(peer);
        }
        String where = host.get();
        boolean ok = quota.admit(where, peer.toBase58(), holder -> {
            try {
                return hostOf.apply(PeerId.fromString(holder)).map(where::equals).orElse(false);
            } catch (RuntimeException e) {
                return false;
            }
        });
        if (ok) {
            overQuota.remove(peer);
        } else if (overQuota.size() < MAX_ADMITTED && overQuota.add(peer)) {
            listener.refused(peer.toBase58(), "its host " + where + " already has " + quota.maxPerHost()
                    + " peer ids in this run (max_peers_per_host)");
        }
        return ok;
    }

    /**
     * Drops everything {@code peerId} sends on the guarded topics from now on (the run owner banned it). Any thread.
     *
     * @param peerId the banned peer (base58); an id that does not parse is ignored
     */
    public void ban(String peerId) {
        PeerId id;
        try {
            id = PeerId.fromString(peerId);
        } catch (RuntimeException e) {
            return;
        }
        owner.execute(() -> {
            if (banned.size() < MAX_ADMITTED) {
                banned.add(id);
            }
        });
    }

    /**
     * Whether this gate has reason to refuse {@code peer} as a group member: the policy refuses it, the run owner
     * banned it, the last token it showed was refused, or its host was over the per-host cap when it last spoke. A
     * peer whose token this node has simply not seen yet is not refused. Any thread.
     *
     * @param peer the peer
     * @return true to keep it out of a group
     */
    public boolean refuses(PeerId peer) {
        return policy.check(peer.toBase58()) == AdmissionPolicy.Verdict.REFUSED || banned.contains(peer)
                || refusedOnce.contains(peer) || overQuota.contains(peer);
    }

    /**
     * Messages on guarded topics rejected or ignored so far because their sender was not admitted.
     *
     * @return the count (read from any thread)
     */
    public long rejectedMessages() {
        return rejectedMessages;
    }

    /** Stops gossiping this node's token. */
    @Override
    public void close() {
        if (republish != null) {
            republish.cancel(false);
        }
    }
}
