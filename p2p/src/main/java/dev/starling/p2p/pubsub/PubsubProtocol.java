package dev.starling.p2p.pubsub;

/** The pubsub protocol a peer speaks, as negotiated by multistream-select. */
public enum PubsubProtocol {
    /** {@code /meshsub/1.1.0}: gossipsub with peer exchange, backoff, scoring. */
    MESHSUB_V11("/meshsub/1.1.0"),
    /** {@code /meshsub/1.0.0}: gossipsub without PX or backoff in PRUNE. */
    MESHSUB_V10("/meshsub/1.0.0"),
    /** {@code /floodsub/1.0.0}: every message goes to every subscribed floodsub peer. */
    FLOODSUB("/floodsub/1.0.0");

    private final String id;

    PubsubProtocol(String id) {
        this.id = id;
    }

    /**
     * Returns the protocol id.
     *
     * @return e.g. {@code /meshsub/1.1.0}
     */
    public String id() {
        return id;
    }

    /**
     * Looks a protocol id up.
     *
     * @param protocolId the negotiated id
     * @return the protocol, or null when it is not a pubsub protocol
     */
    public static PubsubProtocol fromId(String protocolId) {
        for (PubsubProtocol p : values()) {
            if (p.id.equals(protocolId)) {
                return p;
            }
        }
        return null;
    }

    boolean isGossipsub() {
        return this != FLOODSUB;
    }

    boolean supportsPeerExchange() {
        return this == MESHSUB_V11;
    }
}
