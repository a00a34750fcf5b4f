package dev.starling.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The worker team: every task runs once per call, failures reach the caller, and the team survives them. */
class ParallelForTest {
    @Test
    void shouldRunEveryTaskExactlyOnceForManyCallsAndTaskCounts() {
        try (ParallelFor pool = new ParallelFor(3)) {
            for (int tasks = 0; tasks < 50; tasks++) {
                int[] hits = new int[tasks];
                pool.run(tasks, i -> hits[i]++);
                int[] want = new int[tasks];
                java.util.Arrays.fill(want, 1);
                assertArrayEquals(want, hits, "tasks=" + tasks);
            }
        }
    }

    @Test
    void shouldFinishEveryClaimedTaskBeforeReturningEvenWhenWorkersAreLate() {
        try (ParallelFor pool = new ParallelFor(3)) {
            for (int call = 0; call < 5000; call++) {
                int tasks = 1 + call % 5;
                AtomicInteger done = new AtomicInteger();
                pool.run(tasks, i -> done.incrementAndGet());
                assertEquals(tasks, done.get(), "call " + call);
            }
        }
    }

    @Test
    void shouldRethrowAWorkersFailureToTheCallerAndStayUsable() {
        try (ParallelFor pool = new ParallelFor(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.run(2, i -> {
                if (i == 1) {
                    throw new IllegalStateException("boom on worker");
                }
            }));
            assertEquals("boom on worker", e.getMessage());
            AtomicInteger count = new AtomicInteger();
            pool.run(8, i -> count.incrementAndGet());
            assertEquals(8, count.get());
        }
    }

    @Test
    void shouldRefuseRunAfterClose() {
        ParallelFor pool = new ParallelFor(2);
        pool.close();
        pool.close();
        assertThrows(IllegalStateException.class, () -> pool.run(2, i -> { }));
    }

    @Test
    void shouldRejectZeroThreads() {
        assertThrows(IllegalArgumentException.class, () -> new ParallelFor(0));
    }
}
