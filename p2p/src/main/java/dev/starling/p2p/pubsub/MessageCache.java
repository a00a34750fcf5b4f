package dev.starling.p2p.pubsub;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The gossipsub message cache (gossipsub-v1.0.md, "Message Cache"): a sliding window of {@code mcacheLen} history
 * windows; {@link #shift()} runs once per heartbeat and forgets the oldest window; IHAVE gossip announces only the
 * newest {@code mcacheGossip} windows. Also counts, per message, how often each peer asked for it via IWANT.
 *
 * <p>Owner thread only; not thread-safe.
 */
final class MessageCache {
    private record Entry(PubsubMessage message, Map<PeerKey, Integer> iwantCounts) {
    }

    private record WindowEntry(MessageId id, String topic) {
    }

    private final int gossipWindows;
    private final ArrayDeque<List<WindowEntry>> windows = new ArrayDeque<>();
    private final Map<MessageId, Entry> messages = new HashMap<>();
    private final int historyLength;

    MessageCache(int historyLength, int gossipWindows) {
        this.historyLength = historyLength;
        this.gossipWindows = gossipWindows;
        windows.addFirst(new ArrayList<>());
    }

    void put(MessageId id, PubsubMessage message) {
        if (messages.putIfAbsent(id, new Entry(message, new HashMap<>())) == null) {
            windows.peekFirst().add(new WindowEntry(id, message.topic()));
        }
    }

    boolean contains(MessageId id) {
        return messages.containsKey(id);
    }

    PubsubMessage get(MessageId id) {
        Entry entry = messages.get(id);
        return entry == null ? null : entry.message;
    }

    /** Returns the message for an IWANT from {@code peer} unless it has asked for it {@code limit} times already. */
    PubsubMessage getForPeer(MessageId id, PeerKey peer, int limit) {
        Entry entry = messages.get(id);
        if (entry == null) {
            return null;
        }
        int count = entry.iwantCounts.merge(peer, 1, Integer::sum);
        return count > limit ? null : entry.message;
    }

    List<MessageId> gossipIds(String topic) {
        List<MessageId> ids = new ArrayList<>();
        int n = 0;
        for (List<WindowEntry> window : windows) {
            if (n++ >= gossipWindows) {
                break;
            }
            for (WindowEntry e : window) {
                if (e.topic.equals(topic)) {
                    ids.add(e.id);
                }
            }
        }
        return ids;
    }

    void shift() {
        if (windows.size() >= historyLength) {
            for (WindowEntry e : windows.removeLast()) {
                messages.remove(e.id);
            }
        }
        windows.addFirst(new ArrayList<>());
    }

    int size() {
        return messages.size();
    }
}
