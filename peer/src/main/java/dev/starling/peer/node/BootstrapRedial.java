package dev.starling.peer.node;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a peer connected to its bootstrap node (the coordinator): every {@link #PERIOD_SECONDS}, when there is no
 * connection to it, dials its addresses again. A restarted coordinator therefore hears the peers' gossip within a few
 * seconds and rebuilds its view from it, while training never waits for the coordinator. Runs on the owner executor
 * it is given; dial failures are expected while the coordinator is down and are not reported.
 */
final class BootstrapRedial implements AutoCloseable {
    /** How often the connection is checked. */
    static final long PERIOD_SECONDS = 3;

    private final ScheduledFuture<?> task;

    BootstrapRedial(Host host, EventExecutor owner, PeerId target, List<Multiaddr> addresses) {
        List<Multiaddr> ours = addresses.stream().filter(a -> a.peerId().filter(target::equals).isPresent()).toList();
        this.task = owner.scheduleWithFixedDelay(() -> {
            if (host.connection(target).isEmpty()) {
                for (Multiaddr address : ours) {
                    try {
                        host.dial(address).exceptionally(e -> null);
                    } catch (RuntimeException e) {
                        // the host is closing; the next close() cancels this task
                    }
                }
            }
        }, PERIOD_SECONDS, PERIOD_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
