package dev.starling.tensor.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed team of worker threads that runs {@code body(i)} for {@code i} in {@code [0, tasks)}
 * and returns when all are done. The calling thread is one of the workers, so {@code threads == 1}
 * runs inline. Task indices are claimed one at a time by whichever team threads are running, so
 * each index runs exactly once, on some thread, and one thread runs at most one task at a time.
 * A worker that the operating system has not scheduled yet is not waited for: the caller claims
 * the remaining tasks itself, and the call returns once every claimed task is done. This matters
 * on a machine shared with other processes, where a static split would wait a whole time slice
 * for the slowest thread. A kernel that keeps per-thread scratch passes {@code tasks == threads()}
 * and indexes its scratch by task.
 *
 * <p>Hand-off: the owner publishes the task in plain fields and then bumps a volatile generation
 * counter; workers spin briefly on it ({@link Thread#onSpinWait()}) and then park. Claims go
 * through one atomic word holding the generation and the next index, so a late worker can never
 * claim an index of a later call. Completion is an atomic count; the thread that completes the
 * last task unparks the owner. Nothing is allocated per {@link #run}, so a kernel that passes a
 * preallocated {@link IntConsumer} runs allocation-free.
 *
 * <p>Thread model: one owner thread calls {@link #run}; calls must not overlap or nest. The
 * workers are daemon threads owned by this object and stopped by {@link #close()}.
 * Failure: an exception thrown by {@code body} on any thread is rethrown to the caller after all
 * claimed tasks have finished; the team stays usable.
 */
public final class ParallelFor implements AutoCloseable {
    /** Spins before parking: long enough to bridge the gap between back-to-back kernels. */
    private static final int SPINS = 1 << 15;

    private final int threads;
    private final Thread[] workers;
    /** High 32 bits: the generation of the current call; low 32 bits: tasks left to claim (claimed downwards). */
    private final AtomicLong claims = new AtomicLong();
    private final AtomicInteger completed = new AtomicInteger();
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
            workers[w - 1] = Thread.ofPlatform().daemon().name("starling-cpu-" + w).start(this::workerLoop);
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
        int gen = generation + 1;
        this.tasks = taskCount;
        this.body = task;
        this.owner = Thread.currentThread();
        this.failure = null;
        completed.set(0);
        claims.set((long) gen << 32 | taskCount);
        generation = gen; // volatile write: publishes the fields above to the workers
        for (Thread worker : workers) {
            LockSupport.unpark(worker);
        }
        runClaimed(gen);
        awaitCompletion(taskCount);
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

    private void awaitCompletion(int taskCount) {
        int spins = 0;
        while (completed.get() != taskCount) {
            if (spins < SPINS) {
                spins++;
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
    }

    /**
     * Claims and runs tasks of generation {@code gen} until none are left or the call moved on.
     * The fields of the call are read only after a successful claim: the owner cannot finish the
     * call, let alone publish the next one, while a claimed task is still running.
     */
    private void runClaimed(int gen) {
        while (true) {
            long c = claims.get();
            int remaining = (int) c;
            if ((int) (c >>> 32) != gen || remaining == 0) {
                return;
            }
            if (!claims.compareAndSet(c, c - 1)) {
                continue;
            }
            IntConsumer task = body;
            int n = tasks;
            Thread caller = owner;
            try {
                task.accept(remaining - 1);
            } catch (RuntimeException | Error e) {
                failure = e;
            }
            if (completed.incrementAndGet() == n && Thread.currentThread() != caller) {
                LockSupport.unpark(caller);
            }
        }
    }

    private void workerLoop() {
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
            runClaimed(now);
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
