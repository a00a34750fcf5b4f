package dev.starling.p2p.emulation;

/**
 * A host's uplink: one {@link Pacer} that every connection of the host draws on, from whatever event loop owns
 * the connection. It is the one piece of state shared across loops, so its only method is synchronized (a few
 * arithmetic operations held briefly; no protocol logic inside).
 */
final class SharedPacer {
    private final Pacer pacer;

    SharedPacer(long rateBitsPerSecond) {
        this.pacer = new Pacer(rateBitsPerSecond);
    }

    long rateBitsPerSecond() {
        return pacer.rateBitsPerSecond();
    }

    synchronized long finish(long bytes, long earliestNanos) {
        return pacer.finish(bytes, earliestNanos);
    }
}
