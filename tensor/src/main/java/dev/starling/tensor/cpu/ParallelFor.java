package dev.starling.tensor.cpu;

import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.function.IntConsumer;

/**
 * A fixed team of worker threads that runs {@code body(i)} for {@code i} in {@code [0, tasks)}
 * and returns when all are done. The calling thread is one of the workers, so {@code threads == 1}
 * runs inline. Tasks are split into contiguous ranges, one per worker, so a kernel should pass
 * a task count that is a multiple of the thread count or large compared with it.
 *
 * <p>Thread model: one owner thread calls {@link #run}; calls must not overlap or nest. The
 * workers are daemon threads owned by this object and stopped by {@link #close()}.
 * Failure: an exception thrown by {@code body} on any worker is rethrown to the caller.
 */
public final class ParallelFor implements AutoCloseable {
    private final int threads;
    private final Thread[] workers;
    private final CyclicBarrier start;
    private final CyclicBarrier done;
    private volatile IntConsumer body;
    private volatile int tasks;
    private volatile boolean closed;
    private volatile Throwable failure;

    /**
     * Starts {@code threads - 1} worker threads.
     *
     * @param threads the number of threads that share each {@link #run}, at least 1
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public ParallelFor(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.start = new CyclicBarrier(threads);
        this.done = new CyclicBarrier(threads);
        this.workers = new Thread[threads - 1];
        for (int w = 1; w < threads; w++) {
            int worker = w;
            workers[w - 1] = Thread.ofPlatform().daemon().name("starling-cpu-" + w).start(() -> workerLoop(worker));
        }
    }

    /**
     * The number of threads, the caller included.
     *
     * @return the thread count given at construction
     */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} for every task index and waits for all of them.
     *
     * @param taskCount the number of task indices, 0 or more
     * @param task      what to run for each index; must be safe to call from several threads
     */
    public void run(int taskCount, IntConsumer task) {
        if (threads == 1 || taskCount <= 1) {
            for (int i = 0; i < taskCount; i++) {
                task.accept(i);
            }
            return;
        }
        this.tasks = taskCount;
        this.body = task;
        this.failure = null;
        await(start);
        runRange(0);
        await(done);
        this.body = null;
        Throwable thrown = failure;
        if (thrown instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (thrown instanceof Error error) {
            throw error;
        }
    }

    private void workerLoop(int worker) {
        while (true) {
            await(start);
            if (closed) {
                return;
            }
            runRange(worker);
            await(done);
        }
    }

    private void runRange(int worker) {
        int n = tasks;
        int from = (int) ((long) n * worker / threads);
        int to = (int) ((long) n * (worker + 1) / threads);
        try {
            IntConsumer task = body;
            for (int i = from; i < to; i++) {
                task.accept(i);
            }
        } catch (RuntimeException | Error e) {
            failure = e;
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for CPU workers", e);
        } catch (BrokenBarrierException e) {
            throw new IllegalStateException("CPU worker team broken", e);
        }
    }

    /** Stops the worker threads. Idempotent; must not be called while {@link #run} is active. */
    @Override
    public void close() {
        if (closed || threads == 1) {
            closed = true;
            return;
        }
        closed = true;
        await(start);
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
