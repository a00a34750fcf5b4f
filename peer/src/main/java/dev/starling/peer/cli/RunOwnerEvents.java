package dev.starling.peer.cli;

import dev.starling.peer.node.PeerNode;
import dev.starling.protocol.telemetry.RunEvent;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Carries the run owner's events (bans, gossiped by the coordinator) from the gossip thread, where they arrive, to
 * the training thread, which prints them ({@link PeerConsole} has one owner) and stops the peer when the ban names
 * it. The queue is capped so a flood of bans cannot grow memory.
 */
final class RunOwnerEvents {
    /** Most events held between two drains; later ones are dropped. */
    static final int MAX_PENDING = 256;

    private final ConcurrentLinkedQueue<RunEvent> pending = new ConcurrentLinkedQueue<>();
    private final String self;
    private final PeerConsole console;
    private final AtomicBoolean stop;
    private boolean bannedSelf;

    RunOwnerEvents(PeerNode node, PeerConsole console, AtomicBoolean stop) {
        this.self = node.peerId();
        this.console = console;
        this.stop = stop;
        node.onRunEvent(event -> {
            if (event.kind() == RunEvent.Kind.BANNED && pending.size() < MAX_PENDING) {
                pending.add(event);
            }
        });
    }

    /** Prints what arrived; called on the training thread. */
    void drain() {
        for (RunEvent event = pending.poll(); event != null; event = pending.poll()) {
            console.banned(event.peerId(), event.detail());
            if (event.peerId().equals(self)) {
                bannedSelf = true;
                stop.set(true);
            }
        }
    }

    /**
     * Whether the run owner banned this peer.
     *
     * @return true once a ban naming this peer was drained
     */
    boolean bannedSelf() {
        drain();
        return bannedSelf;
    }
}
