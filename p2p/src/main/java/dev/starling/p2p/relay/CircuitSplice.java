package dev.starling.p2p.relay;

import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.relay.CircuitMessages.Limit;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The relay's pipe between an initiator's hop stream and a target's stop stream: bytes one way are written to the
 * other stream, FIN is passed on, a reset resets both, and the {@link Limit} (bytes per direction, duration) resets
 * both when reached. Reading from a side stops while the other side cannot take more (back-pressure).
 *
 * <p><b>Thread.</b> The two streams may belong to different connection loops. Each direction's counter lives on
 * its reading stream's thread; every write to the other stream is posted to that stream's thread, and the "stop
 * reading" decision is taken there and posted back. The atomics only join the two ends' close events.
 */
final class CircuitSplice {
    private final Stream a;
    private final Stream b;
    private final Limit limit;
    private final Runnable onEnd;
    private final AtomicInteger closedEnds = new AtomicInteger();
    private final AtomicBoolean ended = new AtomicBoolean();
    private ScheduledFuture<?> deadline;

    private CircuitSplice(Stream a, Stream b, Limit limit, Runnable onEnd) {
        this.a = a;
        this.b = b;
        this.limit = limit;
        this.onEnd = onEnd;
    }

    /**
     * Joins two streams. Call on {@code a}'s thread.
     *
     * @param a        one stream, with its reader
     * @param aReader  the reader that took {@code a}'s first message (it hands over the bytes behind it)
     * @param b        the other stream, with its reader
     * @param bReader  the reader of {@code b}
     * @param limit    the limits to enforce
     * @param onEnd    runs once when both ends are closed or reset (on either thread)
     */
    static void join(Stream a, FirstMessageReader aReader, Stream b, FirstMessageReader bReader, Limit limit,
                     Runnable onEnd) {
        CircuitSplice splice = new CircuitSplice(a, b, limit, onEnd);
        if (limit.durationSeconds() > 0) {
            splice.deadline = a.executor().schedule(splice::resetBoth, limit.durationSeconds(), TimeUnit.SECONDS);
        }
        aReader.switchTo(a, splice.new Direction(b));
        b.executor().execute(() -> bReader.switchTo(b, splice.new Direction(a)));
    }

    private void resetBoth() {
        a.reset();
        b.reset();
    }

    private void endOne() {
        if (closedEnds.incrementAndGet() == 2 && ended.compareAndSet(false, true)) {
            if (deadline != null) deadline.cancel(false);
            onEnd.run();
        }
    }

    /** Reads one stream and writes to the other ({@code to}). Runs on the reading stream's thread. */
    private final class Direction implements StreamHandler {
        private final Stream to;
        private long bytes;

        Direction(Stream to) {
            this.to = to;
        }

        @Override
        public void onData(Stream from, ByteBuf data) {
            bytes += data.readableBytes();
            if (limit.dataBytes() > 0 && bytes > limit.dataBytes()) {
                data.release();
                resetBoth();
                return;
            }
            to.executor().execute(() -> {
                to.write(data); // the stream releases it
                if (!to.isWritable()) from.setAutoRead(false); // posted to from's thread
            });
        }

        @Override
        public void onWritabilityChanged(Stream self) {
            // `self` is the stream this direction reads; its writability is what the other direction waits for
            Stream other = self == a ? b : a;
            other.setAutoRead(self.isWritable());
        }

        @Override
        public void onRemoteClosed(Stream from) {
            to.closeWrite();
        }

        @Override
        public void onClosed(Stream from, boolean reset) {
            if (reset) to.reset();
            endOne();
        }
    }
}
