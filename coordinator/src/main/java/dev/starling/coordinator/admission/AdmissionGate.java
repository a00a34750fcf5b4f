package dev.starling.coordinator.admission;

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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Enforces a run's admission policy at the gossip layer, on the coordinator and on every peer alike: a validator on
 * each guarded topic (telemetry, group formation) rejects messages whose authenticated origin the policy refuses,
 * so a peer that is not admitted never reaches a group roster or the dashboard. Under the token policy, each node
 * gossips its own {@link JoinToken} on the run's admission topic every {@link #REPUBLISH_SECONDS}; receivers check
 * it (run, peer id, expiry, run-key signature) and admit its sender. Until a sender's token has been seen, its
 * messages are ignored (neither delivered nor forwarded, no score penalty). The coordinator's own id is always
 * admitted, and peers the run owner banned are dropped whatever the policy. Thread: every decision runs on the
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
    private final EventExecutor owner;
    private final ScheduledFuture<?> republish;
    private volatile long rejectedMessages;

    private AdmissionGate(GossipSub gossip, EventExecutor owner, AdmissionPolicy policy, String runId,
                          List<String> guardedTopics, byte[] ownToken, LongSupplier epochSeconds, Listener listener) {
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
        return new AdmissionGate(gossip, owner, policy, runId, guardedTopics, ownToken, epochSeconds, listener);
    }

    private ValidationResult validateGuarded(dev.starling.p2p.pubsub.PeerKey source, PubsubMessage message) {
        PeerId from = new PeerId(message.from());
        ValidationResult result = switch (policy.check(from.toBase58())) {
            case ADMITTED -> ValidationResult.ACCEPT;
            case REFUSED -> ValidationResult.REJECT;
            case NEEDS_TOKEN -> admitted.contains(from) ? ValidationResult.ACCEPT
                    : refusedOnce.contains(from) ? ValidationResult.REJECT : ValidationResult.IGNORE;
        };
        if (banned.contains(from)) {
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
     * banned it, or the last token it showed was refused. A peer whose token this node has simply not seen yet is
     * not refused. Any thread.
     *
     * @param peer the peer
     * @return true to keep it out of a group
     */
    public boolean refuses(PeerId peer) {
        return policy.check(peer.toBase58()) == AdmissionPolicy.Verdict.REFUSED || banned.contains(peer)
                || refusedOnce.contains(peer);
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
