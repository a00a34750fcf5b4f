package dev.starling.p2p.pubsub;

import java.util.List;

/**
 * A gossipsub RPC as plain records (the protobuf {@code RPC}); {@link GossipsubCodec} converts it to and from bytes.
 *
 * <p>Immutable; any thread.
 *
 * @param subscriptions subscription changes
 * @param messages      published or forwarded messages
 * @param control       control messages (never null; may be empty)
 */
public record Rpc(List<SubOpts> subscriptions, List<PubsubMessage> messages, Control control) {
    /** An RPC with nothing in it. */
    public static final Rpc EMPTY = new Rpc(List.of(), List.of(), Control.EMPTY);

    /** Copies the lists. */
    public Rpc {
        subscriptions = List.copyOf(subscriptions);
        messages = List.copyOf(messages);
        control = control == null ? Control.EMPTY : control;
    }

    /**
     * Returns whether the RPC carries nothing.
     *
     * @return true when empty
     */
    public boolean isEmpty() {
        return subscriptions.isEmpty() && messages.isEmpty() && control.isEmpty();
    }

    /**
     * A subscription change.
     *
     * @param subscribe true to subscribe, false to unsubscribe
     * @param topic     the topic id
     */
    public record SubOpts(boolean subscribe, String topic) {
    }

    /**
     * The control part of an RPC.
     *
     * @param ihave     gossip announcements
     * @param iwant     gossip requests
     * @param graft     mesh joins
     * @param prune     mesh leaves
     * @param idontwant v1.2 IDONTWANT (parsed and ignored by this router)
     */
    public record Control(List<IHave> ihave, List<IWant> iwant, List<Graft> graft, List<Prune> prune,
                          List<IDontWant> idontwant) {
        /** No control messages. */
        public static final Control EMPTY = new Control(List.of(), List.of(), List.of(), List.of(), List.of());

        /** Copies the lists. */
        public Control {
            ihave = List.copyOf(ihave);
            iwant = List.copyOf(iwant);
            graft = List.copyOf(graft);
            prune = List.copyOf(prune);
            idontwant = List.copyOf(idontwant);
        }

        /**
         * Returns whether there is no control message.
         *
         * @return true when empty
         */
        public boolean isEmpty() {
            return ihave.isEmpty() && iwant.isEmpty() && graft.isEmpty() && prune.isEmpty() && idontwant.isEmpty();
        }
    }

    /**
     * IHAVE: message ids the sender has in its cache for a topic.
     *
     * @param topic      the topic
     * @param messageIds ids
     */
    public record IHave(String topic, List<MessageId> messageIds) {
        /** Copies the list. */
        public IHave {
            messageIds = List.copyOf(messageIds);
        }
    }

    /**
     * IWANT: message ids the sender asks for.
     *
     * @param messageIds ids
     */
    public record IWant(List<MessageId> messageIds) {
        /** Copies the list. */
        public IWant {
            messageIds = List.copyOf(messageIds);
        }
    }

    /**
     * IDONTWANT (v1.2): ids the sender does not need.
     *
     * @param messageIds ids
     */
    public record IDontWant(List<MessageId> messageIds) {
        /** Copies the list. */
        public IDontWant {
            messageIds = List.copyOf(messageIds);
        }
    }

    /**
     * GRAFT: the sender added us to its mesh for the topic.
     *
     * @param topic the topic
     */
    public record Graft(String topic) {
    }

    /**
     * PRUNE: the sender removed us from its mesh for the topic.
     *
     * @param topic          the topic
     * @param peers          peer exchange suggestions
     * @param backoffSeconds how long not to GRAFT again (0: use our default)
     */
    public record Prune(String topic, List<PeerInfo> peers, long backoffSeconds) {
        /** Copies the list. */
        public Prune {
            peers = List.copyOf(peers);
        }
    }

    /**
     * A peer-exchange entry.
     *
     * @param peerId           peer id bytes
     * @param signedPeerRecord a signed peer record envelope, or an empty array
     */
    public record PeerInfo(byte[] peerId, byte[] signedPeerRecord) {
    }
}
