package dev.starling.p2p.emulation;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A FIFO of items each due at a time, released on their owner's event loop when due, by one timer armed for the
 * head (no sleeping threads, no timer per item). Due times are kept non-decreasing, so items leave in the order
 * they came. Time is the executor's own ticker, so a test's {@code EmbeddedChannel} with frozen time drives it.
 *
 * <p>Thread: every method runs on {@code executor}. The consumer owns each item it is given; items still queued at
 * {@link #clear} are handed to the discard consumer instead.
 *
 * @param <T> the queued item
 */
public final class DelayLine<T> {
    private record Entry<T>(T item, long dueNanos) {
    }

    private final EventExecutor executor;
    private final Consumer<T> deliver;
    private final Runnable afterBatch;
    private final ArrayDeque<Entry<T>> queue = new ArrayDeque<>();
    private ScheduledFuture<?> timer;
    private long tailDue = Long.MIN_VALUE;

    /**
     * Creates an empty line.
     *
     * @param executor   the owner loop; its ticker is the clock
     * @param deliver    receives each item when due, in order
     * @param afterBatch runs after each batch of deliveries (a flush)
     */
    public DelayLine(EventExecutor executor, Consumer<T> deliver, Runnable afterBatch) {
        this.executor = executor;
        this.deliver = deliver;
        this.afterBatch = afterBatch;
    }

    /** @return the owner's current time, nanoseconds */
    public long now() {
        return executor.ticker().nanoTime();
    }

    /**
     * Queues an item; if it is due now and nothing waits before it, it is delivered at once.
     *
     * @param item     the item (owned by this line until delivered or discarded)
     * @param dueNanos when to deliver it, on {@link #now()}'s clock (raised to the previous item's due time)
     */
    public void offer(T item, long dueNanos) {
        long due = tailDue != Long.MIN_VALUE && tailDue - dueNanos > 0 ? tailDue : dueNanos;
        tailDue = due;
        if (queue.isEmpty() && due - now() <= 0) {
            deliver.accept(item);
            afterBatch.run();
            return;
        }
        queue.addLast(new Entry<>(item, due));
        if (timer == null) arm();
    }

    private void arm() {
        long wait = Math.max(0, queue.peekFirst().dueNanos() - now());
        timer = executor.schedule(this::release, wait, TimeUnit.NANOSECONDS);
    }

    private void release() {
        timer = null;
        long now = now();
        boolean any = false;
        while (!queue.isEmpty() && queue.peekFirst().dueNanos() - now <= 0) {
            deliver.accept(queue.pollFirst().item());
            any = true;
        }
        if (any) afterBatch.run();
        if (!queue.isEmpty()) arm();
    }

    /** @return items waiting */
    public int size() {
        return queue.size();
    }

    /**
     * Cancels the timer and hands every waiting item to {@code discard}.
     *
     * @param discard takes ownership of each item
     */
    public void clear(Consumer<T> discard) {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        while (!queue.isEmpty()) discard.accept(queue.pollFirst().item());
    }
}
