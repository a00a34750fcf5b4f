package dev.starling.p2p.pubsub;

import java.util.List;
import java.util.Map;

/**
 * What one router event produced: RPCs to send (one per peer), messages to deliver to the application, and peers
 * suggested by peer exchange that the host may dial.
 *
 * <p>Immutable; created on the router's owner thread, may be handed to other threads.
 *
 * @param sends        RPC per destination peer, in a deterministic order
 * @param deliveries   validated messages for local subscribers
 * @param peerExchange peers learned from PRUNE peer exchange (from peers above the accept-PX threshold)
 */
public record RouterOutput(Map<PeerKey, Rpc> sends, List<Delivery> deliveries, List<Rpc.PeerInfo> peerExchange) {
    /** Nothing to do. */
    public static final RouterOutput NONE = new RouterOutput(Map.of(), List.of(), List.of());

    /** Copies the collections (the map keeps its order). */
    public RouterOutput {
        sends = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(sends));
        deliveries = List.copyOf(deliveries);
        peerExchange = List.copyOf(peerExchange);
    }

    /**
     * A message for local subscribers.
     *
     * @param id                its id
     * @param message           the message
     * @param propagationSource the peer we received it from
     */
    public record Delivery(MessageId id, PubsubMessage message, PeerKey propagationSource) {
    }
}
