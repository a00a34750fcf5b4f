package dev.starling.p2p.pubsub;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The gossipsub v1.1 router as an I/O-free state machine (libp2p/specs pubsub/gossipsub). It takes events (peer
 * connected or gone, RPC received, publish, subscribe, unsubscribe, heartbeat) with the time passed in, and returns
 * a {@link RouterOutput}: the RPC to send to each peer, the messages to deliver locally, and peer-exchange hints.
 * Mesh maintenance, fanout, IHAVE/IWANT gossip, PRUNE backoff and peer exchange, extended validation and peer
 * scoring all live here or in the package-private helpers it owns; the heartbeat is in {@link MeshMaintenance}.
 *
 * <p>Threading: one owner thread calls every method; nothing is thread-safe. Randomness comes from the seed, so a run
 * with the same inputs produces the same outputs.
 */
public final class GossipsubRouter {
    /** Most topics one remote peer may be subscribed to in our view; further subscriptions are ignored. */
    public static final int MAX_TOPICS_PER_PEER = 1024;

    static final class PeerState {
        final PubsubProtocol protocol;
        final boolean outbound;
        final Set<String> topics = new LinkedHashSet<>();

        PeerState(PubsubProtocol protocol, boolean outbound) {
            this.protocol = protocol;
            this.outbound = outbound;
        }
    }

    final GossipsubConfig config;
    final PeerScore score;
    final SplittableRandom random;
    final Outbox outbox = new Outbox();
    final MessageCache mcache;
    final Map<PeerKey, PeerState> peers = new LinkedHashMap<>();
    final Map<String, Set<PeerKey>> topicPeers = new HashMap<>();
    final Set<String> subscriptions = new LinkedHashSet<>();
    final Map<String, Set<PeerKey>> mesh = new LinkedHashMap<>();
    final Map<String, Set<PeerKey>> fanout = new LinkedHashMap<>();
    final Map<String, Long> fanoutLastPublish = new HashMap<>();
    /** topic → peer → nanos at which the backoff ends. */
    final Map<String, Map<PeerKey, Long>> backoff = new HashMap<>();
    /** message id → peer → nanos by which the peer must have delivered the message it announced. */
    final Map<MessageId, Map<PeerKey, Long>> promises = new LinkedHashMap<>();
    final Map<PeerKey, Integer> ihaveReceived = new HashMap<>();
    final Map<PeerKey, Integer> iwantAsked = new HashMap<>();
    private final SeenCache seen;
    private final SignaturePolicy policy;
    private final MessageSigner signer;
    private final SignatureVerifier verifier;
    private final MessageIdFunction idFunction;
    private final Map<String, MessageValidator> validators = new HashMap<>();
    private final MeshMaintenance maintenance;
    private long nextSeqno;

    /**
     * Builds a router.
     *
     * @param config      router parameters
     * @param scoreParams peer-score parameters and thresholds
     * @param policy      signature policy
     * @param signer      local signer (required under StrictSign, ignored otherwise)
     * @param verifier    signature verifier (required under StrictSign)
     * @param idFunction  message id function
     * @param seed        seed for peer selection and the first sequence number
     */
    public GossipsubRouter(GossipsubConfig config, PeerScoreParams scoreParams, SignaturePolicy policy,
                           MessageSigner signer, SignatureVerifier verifier, MessageIdFunction idFunction, long seed) {
        this.config = Objects.requireNonNull(config, "config");
        this.policy = Objects.requireNonNull(policy, "policy");
        if (policy == SignaturePolicy.STRICT_SIGN && (signer == null || verifier == null)) {
            throw new IllegalArgumentException("StrictSign needs a signer and a verifier");
        }
        this.signer = signer;
        this.verifier = verifier;
        this.idFunction = Objects.requireNonNull(idFunction, "idFunction");
        this.random = new SplittableRandom(seed);
        this.nextSeqno = random.nextLong();
        this.mcache = new MessageCache(config.mcacheLen(), config.mcacheGossip());
        this.seen = new SeenCache(config.seenTtl().toNanos());
        this.score = new PeerScore(scoreParams, peer -> 0, config.seenTtl().toNanos());
        this.maintenance = new MeshMaintenance(this);
    }

    /**
     * Sets the validator for a topic (replacing any earlier one). Topics without one accept everything.
     *
     * @param topic     the topic
     * @param validator the validator
     */
    public void setValidator(String topic, MessageValidator validator) {
        validators.put(topic, Objects.requireNonNull(validator));
    }

    /**
     * A peer speaking a pubsub protocol is connected (the stream was negotiated).
     *
     * @param peer     the peer
     * @param protocol the negotiated protocol
     * @param outbound whether we dialed the connection (counts toward D_out)
     * @param nowNanos the time
     * @return our subscriptions for the peer (the hello RPC)
     */
    public RouterOutput addPeer(PeerKey peer, PubsubProtocol protocol, boolean outbound, long nowNanos) {
        if (peers.containsKey(peer)) {
            return RouterOutput.NONE;
        }
        peers.put(peer, new PeerState(protocol, outbound));
        score.addPeer(peer);
        for (String topic : subscriptions) {
            outbox.subscription(peer, topic, true);
        }
        return outbox.drain();
    }

    /**
     * A peer's connection or pubsub stream is gone.
     *
     * @param peer     the peer
     * @param nowNanos the time
     * @return nothing to send, by construction; kept as an output for symmetry
     */
    public RouterOutput removePeer(PeerKey peer, long nowNanos) {
        PeerState state = peers.remove(peer);
        if (state == null) {
            return RouterOutput.NONE;
        }
        for (String topic : state.topics) {
            Set<PeerKey> set = topicPeers.get(topic);
            if (set != null) {
                set.remove(peer);
            }
        }
        for (Set<PeerKey> m : mesh.values()) {
            m.remove(peer);
        }
        for (Set<PeerKey> f : fanout.values()) {
            f.remove(peer);
        }
        score.removePeer(peer, nowNanos);
        outbox.forget(peer);
        promises.values().forEach(byPeer -> byPeer.remove(peer));
        ihaveReceived.remove(peer);
        iwantAsked.remove(peer);
        return outbox.drain();
    }

    /**
     * Handles one decoded RPC from a peer.
     *
     * @param from     the sending peer
     * @param rpc      the RPC
     * @param nowNanos the time
     * @return what to send and deliver
     */
    public RouterOutput handleRpc(PeerKey from, Rpc rpc, long nowNanos) {
        PeerState state = peers.get(from);
        if (state == null || score.score(from, nowNanos) < score.params().graylistThreshold()) {
            return RouterOutput.NONE;
        }
        for (Rpc.SubOpts sub : rpc.subscriptions()) {
            handleSubscription(from, state, sub, nowNanos);
        }
        for (PubsubMessage message : rpc.messages()) {
            handleMessage(from, message, nowNanos);
        }
        Rpc.Control control = rpc.control();
        for (Rpc.IWant iwant : control.iwant()) {
            handleIWant(from, iwant, nowNanos);
        }
        for (Rpc.IHave ihave : control.ihave()) {
            handleIHave(from, ihave, nowNanos);
        }
        for (Rpc.Graft graft : control.graft()) {
            handleGraft(from, state, graft, nowNanos);
        }
        for (Rpc.Prune prune : control.prune()) {
            handlePrune(from, prune, nowNanos);
        }
        return outbox.drain();
    }

    private void handleSubscription(PeerKey from, PeerState state, Rpc.SubOpts sub, long nowNanos) {
        String topic = sub.topic();
        if (sub.subscribe()) {
            if (state.topics.size() >= MAX_TOPICS_PER_PEER && !state.topics.contains(topic)) {
                return;
            }
            state.topics.add(topic);
            topicPeers.computeIfAbsent(topic, t -> new LinkedHashSet<>()).add(from);
        } else {
            state.topics.remove(topic);
            Set<PeerKey> set = topicPeers.get(topic);
            if (set != null) {
                set.remove(from);
            }
            Set<PeerKey> m = mesh.get(topic);
            if (m != null && m.remove(from)) {
                score.prune(from, topic, nowNanos);
            }
            Set<PeerKey> f = fanout.get(topic);
            if (f != null) {
                f.remove(from);
            }
        }
    }

    private void handleMessage(PeerKey from, PubsubMessage message, long nowNanos) {
        String topic = message.topic();
        if (!subscriptions.contains(topic)) {
            return;
        }
        MessageId id = idFunction.idOf(message);
        promises.remove(id);
        if (!seen.add(id, nowNanos)) {
            score.duplicateMessage(from, id, topic, nowNanos);
            return;
        }
        score.validateMessage(id, nowNanos);
        if (message.data().length > config.maxMessageSize() || !signatureAcceptable(message)) {
            score.rejectMessage(from, id, topic);
            return;
        }
        ValidationResult verdict;
        try {
            verdict = validators.getOrDefault(topic, MessageValidator.ACCEPT_ALL).validate(from, message);
        } catch (RuntimeException e) {
            verdict = ValidationResult.IGNORE;
        }
        switch (verdict) {
            case ACCEPT -> {
                score.deliverMessage(from, id, topic, nowNanos);
                mcache.put(id, message);
                outbox.deliver(new RouterOutput.Delivery(id, message, from));
                forward(from, id, message);
            }
            case REJECT -> score.rejectMessage(from, id, topic);
            case IGNORE -> score.ignoreMessage(id);
            default -> throw new IllegalStateException("unknown verdict " + verdict);
        }
    }

    private boolean signatureAcceptable(PubsubMessage m) {
        if (policy == SignaturePolicy.STRICT_NO_SIGN) {
            return m.from().length == 0 && m.seqno().length == 0 && m.signature().length == 0 && m.key().length == 0;
        }
        if (m.from().length == 0 || m.seqno().length != 8 || m.signature().length == 0) {
            return false;
        }
        try {
            return verifier.verify(m.from(), m.key(), SigningPayload.of(m), m.signature());
        } catch (RuntimeException e) {
            return false; // a verifier must not throw; a hostile key must not crash the router either
        }
    }

    private void forward(PeerKey source, MessageId id, PubsubMessage message) {
        String topic = message.topic();
        Set<PeerKey> targets = new LinkedHashSet<>(mesh.getOrDefault(topic, Set.of()));
        for (PeerKey p : topicPeers.getOrDefault(topic, Set.of())) {
            if (peers.get(p).protocol == PubsubProtocol.FLOODSUB) {
                targets.add(p);
            }
        }
        targets.remove(source);
        byte[] author = message.from();
        for (PeerKey p : targets) {
            if (!Arrays.equals(p.raw(), author)) {
                outbox.message(p, message);
            }
        }
    }

    private void handleIWant(PeerKey from, Rpc.IWant iwant, long nowNanos) {
        if (score.score(from, nowNanos) < score.params().gossipThreshold()) {
            return;
        }
        for (MessageId id : iwant.messageIds()) {
            PubsubMessage m = mcache.getForPeer(id, from, config.gossipRetransmission());
            if (m != null) {
                outbox.message(from, m);
            }
        }
    }

    private void handleIHave(PeerKey from, Rpc.IHave ihave, long nowNanos) {
        if (score.score(from, nowNanos) < score.params().gossipThreshold()) {
            return;
        }
        int received = ihaveReceived.merge(from, 1, Integer::sum);
        int asked = iwantAsked.getOrDefault(from, 0);
        if (received > config.maxIHaveMessages() || asked >= config.maxIHaveLength()
                || !subscriptions.contains(ihave.topic())) {
            return;
        }
        List<MessageId> want = new ArrayList<>();
        Set<MessageId> unique = new LinkedHashSet<>(ihave.messageIds());
        for (MessageId id : unique) {
            if (!seen.contains(id) && !mcache.contains(id)) {
                want.add(id);
            }
        }
        if (want.isEmpty()) {
            return;
        }
        shuffle(want);
        int room = config.maxIHaveLength() - asked;
        if (want.size() > room) {
            want = new ArrayList<>(want.subList(0, room));
        }
        iwantAsked.put(from, asked + want.size());
        outbox.iwant(from, want);
        MessageId promised = want.get(random.nextInt(want.size()));
        promises.computeIfAbsent(promised, k -> new LinkedHashMap<>())
                .putIfAbsent(from, nowNanos + config.iwantFollowupTime().toNanos());
    }

    private void handleGraft(PeerKey from, PeerState state, Rpc.Graft graft, long nowNanos) {
        String topic = graft.topic();
        Set<PeerKey> m = mesh.get(topic);
        if (m == null || m.contains(from) || !state.protocol.isGossipsub()) {
            return;
        }
        Long backoffEnd = backoff.getOrDefault(topic, Map.of()).get(from);
        if (backoffEnd != null && backoffEnd - nowNanos > 0) {
            score.addPenalty(from, 1);
            long pruneAt = backoffEnd - config.pruneBackoff().toNanos();
            if (nowNanos - pruneAt < config.graftFloodThreshold().toNanos()) {
                score.addPenalty(from, 1);
            }
            sendPrune(from, topic, false, false, nowNanos);
            return;
        }
        if (score.score(from, nowNanos) < 0) {
            sendPrune(from, topic, false, false, nowNanos);
            return;
        }
        if (m.size() >= config.dHi() && !state.outbound) {
            sendPrune(from, topic, true, false, nowNanos);
            return;
        }
        m.add(from);
        score.graft(from, topic, nowNanos);
    }

    private void handlePrune(PeerKey from, Rpc.Prune prune, long nowNanos) {
        String topic = prune.topic();
        Set<PeerKey> m = mesh.get(topic);
        if (m != null && m.remove(from)) {
            score.prune(from, topic, nowNanos);
        }
        long seconds = prune.backoffSeconds() > 0 ? Math.min(prune.backoffSeconds(), 24 * 3600)
                : config.pruneBackoff().toSeconds();
        addBackoff(from, topic, nowNanos + seconds * 1_000_000_000L);
        if (!prune.peers().isEmpty() && score.score(from, nowNanos) >= score.params().acceptPxThreshold()) {
            int n = 0;
            for (Rpc.PeerInfo info : prune.peers()) {
                if (n++ >= config.prunePeers()) {
                    break;
                }
                outbox.peerExchange(info);
            }
        }
    }

    void addBackoff(PeerKey peer, String topic, long untilNanos) {
        Map<PeerKey, Long> map = backoff.computeIfAbsent(topic, t -> new HashMap<>());
        map.merge(peer, untilNanos, Math::max);
    }

    boolean inBackoff(PeerKey peer, String topic, long nowNanos) {
        Long end = backoff.getOrDefault(topic, Map.of()).get(peer);
        return end != null && end - nowNanos > 0;
    }

    /** Queues a PRUNE to {@code peer} and starts our backoff for it; PX only to v1.1 peers. */
    void sendPrune(PeerKey peer, String topic, boolean exchangePeers, boolean unsubscribing, long nowNanos) {
        PeerState state = peers.get(peer);
        long backoffNanos = (unsubscribing ? config.unsubscribeBackoff() : config.pruneBackoff()).toNanos();
        addBackoff(peer, topic, nowNanos + backoffNanos);
        if (state == null || !state.protocol.supportsPeerExchange()) {
            outbox.prune(peer, new Rpc.Prune(topic, List.of(), 0));
            return;
        }
        List<Rpc.PeerInfo> px = new ArrayList<>();
        if (exchangePeers) {
            List<PeerKey> candidates = new ArrayList<>();
            for (PeerKey p : topicPeers.getOrDefault(topic, Set.of())) {
                if (!p.equals(peer) && score.score(p, nowNanos) >= 0) {
                    candidates.add(p);
                }
            }
            for (PeerKey p : pick(candidates, config.prunePeers())) {
                px.add(new Rpc.PeerInfo(p.bytes(), new byte[0]));
            }
        }
        outbox.prune(peer, new Rpc.Prune(topic, px, backoffNanos / 1_000_000_000L));
    }

    /**
     * Publishes a message that this peer authors (signed under StrictSign).
     *
     * @param topic    the topic
     * @param data     the payload
     * @param nowNanos the time
     * @return the message id, how many peers it went to, and the output
     */
    public PublishResult publish(String topic, byte[] data, long nowNanos) {
        if (data.length > config.maxMessageSize()) {
            throw new IllegalArgumentException("message of " + data.length + " bytes exceeds the maximum "
                    + config.maxMessageSize());
        }
        PubsubMessage message;
        if (policy == SignaturePolicy.STRICT_SIGN) {
            byte[] seqno = new byte[8];
            long s = nextSeqno++;
            for (int i = 7; i >= 0; i--) {
                seqno[i] = (byte) s;
                s >>>= 8;
            }
            message = new PubsubMessage(signer.localPeerId(), data, seqno, topic, null, null);
            message = message.withSignature(signer.sign(SigningPayload.of(message)), signer.keyField());
        } else {
            message = new PubsubMessage(null, data, null, topic, null, null);
        }
        MessageId id = idFunction.idOf(message);
        seen.add(id, nowNanos);
        mcache.put(id, message);
        Set<PeerKey> targets = publishTargets(topic, nowNanos);
        for (PeerKey p : targets) {
            outbox.message(p, message);
        }
        return new PublishResult(id, targets.size(), outbox.drain());
    }

    private Set<PeerKey> publishTargets(String topic, long nowNanos) {
        Set<PeerKey> targets = new LinkedHashSet<>();
        Set<PeerKey> inTopic = topicPeers.getOrDefault(topic, Set.of());
        double publishThreshold = score.params().publishThreshold();
        if (config.floodPublish()) {
            for (PeerKey p : inTopic) {
                if (score.score(p, nowNanos) >= publishThreshold) {
                    targets.add(p);
                }
            }
            return targets;
        }
        for (PeerKey p : inTopic) {
            if (peers.get(p).protocol == PubsubProtocol.FLOODSUB && score.score(p, nowNanos) >= publishThreshold) {
                targets.add(p);
            }
        }
        Set<PeerKey> m = mesh.get(topic);
        if (m != null) {
            targets.addAll(m);
            return targets;
        }
        Set<PeerKey> f = fanout.computeIfAbsent(topic, t -> new LinkedHashSet<>());
        if (f.isEmpty()) {
            List<PeerKey> candidates = new ArrayList<>();
            for (PeerKey p : inTopic) {
                if (peers.get(p).protocol.isGossipsub() && score.score(p, nowNanos) >= publishThreshold) {
                    candidates.add(p);
                }
            }
            f.addAll(pick(candidates, config.d()));
        }
        fanoutLastPublish.put(topic, nowNanos);
        targets.addAll(f);
        return targets;
    }

    /**
     * Joins a topic: announces the subscription and grafts up to D peers (fanout peers first).
     *
     * @param topic    the topic
     * @param nowNanos the time
     * @return what to send
     */
    public RouterOutput subscribe(String topic, long nowNanos) {
        if (!subscriptions.add(topic)) {
            return RouterOutput.NONE;
        }
        for (PeerKey p : peers.keySet()) {
            outbox.subscription(p, topic, true);
        }
        Set<PeerKey> m = new LinkedHashSet<>();
        mesh.put(topic, m);
        Set<PeerKey> fromFanout = fanout.remove(topic);
        fanoutLastPublish.remove(topic);
        if (fromFanout != null) {
            for (PeerKey p : fromFanout) {
                if (m.size() < config.d() && maintenance.graftable(p, topic, nowNanos)) {
                    m.add(p);
                }
            }
        }
        List<PeerKey> more = maintenance.candidates(topic, m, nowNanos);
        m.addAll(pick(more, config.d() - m.size()));
        for (PeerKey p : m) {
            score.graft(p, topic, nowNanos);
            outbox.graft(p, topic);
        }
        return outbox.drain();
    }

    /**
     * Leaves a topic: announces it and prunes the mesh with the unsubscribe backoff.
     *
     * @param topic    the topic
     * @param nowNanos the time
     * @return what to send
     */
    public RouterOutput unsubscribe(String topic, long nowNanos) {
        if (!subscriptions.remove(topic)) {
            return RouterOutput.NONE;
        }
        for (PeerKey p : peers.keySet()) {
            outbox.subscription(p, topic, false);
        }
        Set<PeerKey> m = mesh.remove(topic);
        for (PeerKey p : m) {
            score.prune(p, topic, nowNanos);
            sendPrune(p, topic, true, true, nowNanos);
        }
        return outbox.drain();
    }

    /**
     * Runs one heartbeat: score decay, promise checks, mesh and fanout maintenance, gossip, cache shifts. The owner
     * calls it every {@link GossipsubConfig#heartbeatInterval()}.
     *
     * @param nowNanos the time
     * @return what to send
     */
    public RouterOutput heartbeat(long nowNanos) {
        score.refresh(nowNanos);
        maintenance.run(nowNanos);
        mcache.shift();
        seen.expire(nowNanos);
        return outbox.drain();
    }

    /** Penalises peers whose IHAVE promises were not kept by the deadline (P7), and forgets them. */
    void checkPromises(long nowNanos) {
        Iterator<Map.Entry<MessageId, Map<PeerKey, Long>>> it = promises.entrySet().iterator();
        while (it.hasNext()) {
            Map<PeerKey, Long> byPeer = it.next().getValue();
            byPeer.entrySet().removeIf(e -> {
                if (e.getValue() - nowNanos <= 0) {
                    score.addPenalty(e.getKey(), 1);
                    return true;
                }
                return false;
            });
            if (byPeer.isEmpty()) {
                it.remove();
            }
        }
    }

    /** Picks up to {@code n} peers uniformly at random (deterministic for the seed). */
    List<PeerKey> pick(List<PeerKey> candidates, int n) {
        List<PeerKey> copy = new ArrayList<>(candidates);
        shuffle(copy);
        return n >= copy.size() ? copy : new ArrayList<>(copy.subList(0, Math.max(0, n)));
    }

    <T> void shuffle(List<T> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    /**
     * Returns the peer's current score.
     *
     * @param peer     the peer
     * @param nowNanos the time
     * @return the score (0 for unknown peers)
     */
    public double score(PeerKey peer, long nowNanos) {
        return score.score(peer, nowNanos);
    }

    /**
     * Adds to a peer's behaviour penalty (P7), e.g. when the host sees it misbehave on the wire.
     *
     * @param peer  the peer
     * @param count how many penalties
     */
    public void penalize(PeerKey peer, double count) {
        score.addPenalty(peer, count);
    }

    /**
     * Returns a snapshot of our mesh for a topic.
     *
     * @param topic the topic
     * @return mesh peers (empty when not subscribed)
     */
    public Set<PeerKey> meshPeers(String topic) {
        return Set.copyOf(mesh.getOrDefault(topic, Set.of()));
    }

    /**
     * Returns whether we are subscribed to the topic.
     *
     * @param topic the topic
     * @return true when subscribed
     */
    public boolean isSubscribed(String topic) {
        return subscriptions.contains(topic);
    }

    /**
     * Returns a snapshot of the peers we know to be subscribed to a topic.
     *
     * @param topic the topic
     * @return the peers
     */
    public Set<PeerKey> topicPeers(String topic) {
        return Set.copyOf(topicPeers.getOrDefault(topic, Set.of()));
    }

    /**
     * The outcome of {@link #publish}.
     *
     * @param id         the message id
     * @param recipients how many peers the message was sent to (0: nobody in the topic yet, an expected outcome)
     * @param output     what to send
     */
    public record PublishResult(MessageId id, int recipients, RouterOutput output) {
    }
}
