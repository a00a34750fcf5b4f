package dev.starling.tensor.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed team of worker threads that runs {@code body(i)} for {@code i} in {@code [0, tasks)}
 * and returns when all are done. The calling thread is one of the workers, so {@code threads == 1}
 * runs inline. Tasks are split into contiguous ranges, one per worker (worker 0 is the caller), so
 * a kernel should pass a task count that is a multiple of the thread count or large compared with
 * it. With {@code tasks == threads()}, task {@code i} runs on worker {@code i}, which lets a kernel
 * keep per-worker scratch indexed by task.
 *
 * <p>Hand-off: the owner publishes the task in plain fields and then bumps a volatile generation
 * counter; workers spin briefly on it ({@link Thread#onSpinWait()}) and then park. Completion is
 * an atomic count-down; the last worker unparks the owner. Nothing is allocated per {@link #run},
 * so a kernel that passes a preallocated {@link IntConsumer} runs allocation-free.
 *
 * <p>Thread model: one owner thread calls {@link #run}; calls must not overlap or nest. The
 * workers are daemon threads owned by this object and stopped by {@link #close()}.
 * Failure: an exception thrown by {@code body} on any worker is rethrown to the caller after all
 * workers have finished the call; the team stays usable.
 */
public final class ParallelFor implements AutoCloseable {
    /** Spins before parking: long enough to bridge the gap between back-to-back kernels. */
    private static final int SPINS = 1 << 15;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile boolean closed;
    private IntConsumer body;
    private int tasks;
    private Thread owner;
    private volatile Throwable failure;
    /** {@link Gemm}'s per-team driver and packing buffers; created by the owner on first use. */
    SgemmDriver sgemmDriver;

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
     * Runs {@code body} for every task index and waits for all of them. Allocates nothing itself.
     *
     * @param taskCount the number of task indices, 0 or more
     * @param task      what to run for each index; must be safe to call from several threads
     * @throws IllegalStateException if the team was closed
     */
    public void run(int taskCount, IntConsumer task) {
        if (closed) {
            throw new IllegalStateException("ParallelFor is closed");
        }
        if (threads == 1 || taskCount <= 1) {
            for (int i = 0; i < taskCount; i++) {
                task.accept(i);
            }
            return;
        }
        this.tasks = taskCount;
        this.body = task;
        this.owner = Thread.currentThread();
        this.failure = null;
        pending.set(threads - 1);
        generation = generation + 1; // volatile write: publishes the fields above to the workers
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        runRange(0);
        awaitWorkers();
        this.body = null;
        Throwable thrown = failure;
        if (thrown != null) {
            failure = null;
            if (thrown instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw (Error) thrown;
        }
    }

    private void awaitWorkers() {
        int spins = 0;
        while (pending.get() != 0) {
            if (spins < SPINS) {
                spins++;
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
    }

    private void workerLoop(int worker) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int now;
            while ((now = generation) == seen) {
                if (spins < SPINS) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = now;
            if (closed) {
                return;
            }
            runRange(worker);
            Thread caller = owner;
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
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

    /** Stops the worker threads. Idempotent; must not be called while {@link #run} is active. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        generation = generation + 1;
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
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
