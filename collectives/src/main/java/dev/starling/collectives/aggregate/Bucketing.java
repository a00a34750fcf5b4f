package dev.starling.collectives.aggregate;

import dev.starling.collectives.CollectivesException;
import java.util.Random;

/**
 * Bucketing (Karimireddy, He and Jaggi 2022): shuffle the contributions with a seeded permutation, average them
 * in buckets of {@code bucketSize} (weighted), then hand the bucket means (with their summed weights) to an inner
 * robust aggregator. It lowers the variance the inner rule sees, which helps it against heterogeneous honest
 * peers. The permutation uses {@link java.util.Random}, whose sequence the JDK specifies, so every peer given the
 * same seed buckets identically. Immutable.
 */
public final class Bucketing implements Aggregator {
    private final Aggregator inner;
    private final int bucketSize;
    private final long seed;

    /**
     * Creates the wrapper.
     *
     * @param inner      the robust aggregator applied to bucket means
     * @param bucketSize contributions a bucket, ≥ 1
     * @param seed       shuffle seed, shared by the group (e.g. derived from run id, round and part)
     */
    public Bucketing(final Aggregator inner, final int bucketSize, final long seed) {
        if (inner == null || bucketSize < 1) {
            throw CollectivesException.internal("bucketing needs an inner aggregator and bucketSize >= 1");
        }
        this.inner = inner;
        this.bucketSize = bucketSize;
        this.seed = seed;
    }

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] out) {
        aggregate(inputs, weights, length, null, out);
    }

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] start,
                          final float[] out) {
        double[] w = AggregatorChecks.check(inputs, weights, length, out);
        int n = inputs.length;
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int buckets = (n + bucketSize - 1) / bucketSize;
        float[][] means = new float[buckets][length];
        double[] bucketWeights = new double[buckets];
        for (int b = 0; b < buckets; b++) {
            int from = b * bucketSize;
            int to = Math.min(n, from + bucketSize);
            double total = 0;
            for (int j = from; j < to; j++) {
                total += w[perm[j]];
            }
            bucketWeights[b] = total;
            for (int c = 0; c < length; c++) {
                double s = 0;
                for (int j = from; j < to; j++) {
                    int i = perm[j];
                    s += (total > 0 ? w[i] / total : 1.0 / (to - from)) * inputs[i][c];
                }
                means[b][c] = (float) s;
            }
        }
        boolean anyWeight = false;
        for (double bw : bucketWeights) {
            anyWeight |= bw > 0;
        }
        inner.aggregate(means, anyWeight ? bucketWeights : null, length, start, out);
    }

    @Override
    public String name() {
        return "bucketing(s=" + bucketSize + "," + inner.name() + ")";
    }
}
