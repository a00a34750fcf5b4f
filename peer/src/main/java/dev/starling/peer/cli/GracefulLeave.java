package dev.starling.peer.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * SIGTERM/SIGINT for a training peer: the signal asks the training loop to stop between phases (a round in flight
 * finishes or is abandoned before it starts), the peer announces its leave while closing, and the process exits 0
 * once the loop has wound down cleanly (the JVM's own exit status after a signal would be 143). A normal exit is
 * left alone. The hook waits at most {@link #GRACE_SECONDS}.
 */
final class GracefulLeave {
    /** Longest the signal waits for the loop to finish. */
    static final long GRACE_SECONDS = 30;

    private final AtomicBoolean stop = new AtomicBoolean();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean clean;

    private GracefulLeave() {
    }

    /**
     * Installs the shutdown hook.
     *
     * @return the handle the training loop polls
     */
    static GracefulLeave install() {
        GracefulLeave leave = new GracefulLeave();
        Runtime.getRuntime().addShutdownHook(new Thread(leave::onSignal, "peer-leave"));
        return leave;
    }

    private void onSignal() {
        if (finished.getCount() == 0) {
            return; // a normal exit: nothing to wind down
        }
        stop.set(true);
        try {
            if (finished.await(GRACE_SECONDS, TimeUnit.SECONDS) && clean) {
                System.out.flush();
                System.err.flush();
                Runtime.getRuntime().halt(0);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether a signal asked the peer to stop.
     *
     * @return true after SIGTERM or SIGINT
     */
    boolean stopRequested() {
        return stop.get();
    }

    /**
     * The training loop has ended (its result printed, its node closed).
     *
     * @param cleanly true if it ended without an error
     */
    void finished(boolean cleanly) {
        this.clean = cleanly;
        finished.countDown();
    }
}
