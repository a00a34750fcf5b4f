package dev.starling.p2p.pubsub;

/**
 * Caps on one received RPC, checked while decoding before each item is allocated.
 *
 * @param maxRpcSize         largest RPC in bytes (the spec suggests 1 MiB)
 * @param maxSubscriptions   most SubOpts in one RPC
 * @param maxMessages        most messages in one RPC
 * @param maxControlEntries  most IHAVE+IWANT+GRAFT+PRUNE+IDONTWANT entries in one RPC
 * @param maxMessageIds      most message ids over all control entries of one RPC
 * @param maxPeerInfos       most peer-exchange entries over all PRUNEs of one RPC
 * @param maxTopicLength     longest topic id in bytes
 * @param maxMessageIdLength longest message id in bytes
 */
public record RpcLimits(int maxRpcSize, int maxSubscriptions, int maxMessages, int maxControlEntries,
                        int maxMessageIds, int maxPeerInfos, int maxTopicLength, int maxMessageIdLength) {

    /** Checks that every cap is positive. */
    public RpcLimits {
        if (maxRpcSize <= 0 || maxSubscriptions <= 0 || maxMessages <= 0 || maxControlEntries <= 0
                || maxMessageIds <= 0 || maxPeerInfos <= 0 || maxTopicLength <= 0 || maxMessageIdLength <= 0) {
            throw new IllegalArgumentException("RPC limits must all be positive: " + this);
        }
    }

    /**
     * Defaults: 1 MiB RPCs, 1024 subscriptions, 1024 messages, 1024 control entries, 10000 ids, 256 PX entries,
     * 1 KiB topics, 256-byte ids.
     *
     * @return the defaults
     */
    public static RpcLimits defaults() {
        return new RpcLimits(1 << 20, 1024, 1024, 1024, 10_000, 256, 1024, 256);
    }
}
