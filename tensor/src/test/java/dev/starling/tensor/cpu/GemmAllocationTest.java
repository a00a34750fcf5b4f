package dev.starling.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * A steady-state {@link Gemm#sgemm} call allocates nothing on the calling thread: the team hand-off
 * passes a preallocated task, and the packing buffers are kept with the team. Measured with
 * {@code ThreadMXBean.getThreadAllocatedBytes} around many calls after a warm-up long enough for
 * C2 to compile the Vector API code (interpreted and C1 code box vectors, which allocates).
 */
class GemmAllocationTest {
    private static final int WARMUP_CALLS = 3000;
    private static final int MEASURED_CALLS = 200;

    @Test
    void shouldAllocateNothingPerCallAfterWarmUp() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId();
        int m = 37;
        int n = 70;
        int k = 300;
        float[] a = new float[m * k];
        float[] b = new float[k * n];
        float[] c = new float[m * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 13) * 0.01f;
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (i % 7) * 0.02f;
        }
        try (ParallelFor pool = new ParallelFor(2)) {
            for (int i = 0; i < WARMUP_CALLS; i++) {
                callAllVariants(pool, m, n, k, a, b, c);
            }
            long before = mx.getThreadAllocatedBytes(self);
            for (int i = 0; i < MEASURED_CALLS; i++) {
                callAllVariants(pool, m, n, k, a, b, c);
            }
            long allocated = mx.getThreadAllocatedBytes(self) - before;
            assertEquals(0L, allocated, "bytes allocated by " + MEASURED_CALLS * 4 + " sgemm calls after warm-up");
        }
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    private static void callAllVariants(ParallelFor pool, int m, int n, int k, float[] a, float[] b, float[] c) {
        Gemm.sgemm(pool, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        Gemm.sgemm(pool, false, true, m, n, k, 1f, a, 0, k, b, 0, k, 1f, c, 0, n);
        Gemm.sgemm(pool, true, false, m, n, k, 0.5f, a, 0, m, b, 0, n, 0.5f, c, 0, n);
        Gemm.sgemm(pool, true, true, m, n, k, 1f, a, 0, m, b, 0, k, 0f, c, 0, n);
    }
}
