package dev.starling.fault.checkfree;

/**
 * CheckFree+'s out-of-order pipelining: for a fraction of the micro-batches the first two stages' blocks run in
 * swapped order, and so do the last two, so that each end stage's neighbour learns to do its job and can stand in for
 * it by a plain copy. The embedding still runs first and the head last. Which micro-batches swap is a fixed pattern
 * (every {@code period}-th), so every peer computes the same order. Pure; any thread.
 */
public final class OutOfOrderSchedule {
    private final int stages;
    private final int period;

    /**
     * Creates a schedule.
     *
     * @param stages S
     * @param period swap every {@code period}-th micro-batch (2 is the paper's half); 0 never swaps
     */
    public OutOfOrderSchedule(int stages, int period) {
        if (stages < 1 || period < 0) {
            throw new IllegalArgumentException("need S >= 1 and period >= 0, got " + stages + ", " + period);
        }
        this.stages = stages;
        this.period = period;
    }

    /**
     * The order in which the stages' blocks run for one micro-batch.
     *
     * @param microBatch the micro-batch number within the run
     * @return a permutation of {@code 0..S-1}
     */
    public int[] order(long microBatch) {
        int[] order = new int[stages];
        for (int s = 0; s < stages; s++) {
            order[s] = s;
        }
        if (period > 0 && stages >= 4 && Math.floorMod(microBatch, period) == period - 1) {
            swap(order, 0, 1);
            swap(order, stages - 2, stages - 1);
        } else if (period > 0 && stages >= 2 && stages < 4 && Math.floorMod(microBatch, period) == period - 1) {
            swap(order, 0, 1);
        }
        return order;
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
