package dev.starling.collectives.aggregate;

/**
 * Combines n contributions to one part into one vector. Implementations are pure and deterministic: the same
 * inputs in the same order give the same bytes on every JVM (accumulation runs in double, in index order, with no
 * fused multiply-add), which the butterfly relies on for bit parity.
 *
 * <p>Implementations are immutable and may be shared across threads; each call allocates only scratch space
 * proportional to its inputs. Bad arguments (empty input, ragged lengths, negative weights) throw
 * {@link dev.starling.collectives.CollectivesException} INTERNAL: contributions are validated before they get here.
 */
public interface Aggregator {

    /**
     * Aggregates {@code inputs[i][0, length)} into {@code out[0, length)}.
     *
     * @param inputs  n ≥ 1 contributions, each at least {@code length} long, all finite
     * @param weights n non-negative weights (e.g. samples processed) with a positive sum, or {@code null} for equal
     *                weights; aggregators that cannot use weights document that they ignore them
     * @param length  elements to aggregate
     * @param out     destination, at least {@code length} long
     */
    void aggregate(float[][] inputs, double[] weights, int length, float[] out);

    /**
     * Aggregates with a warm-start hint, such as last round's aggregate of the same part. Only iterative
     * aggregators use it; the default ignores it.
     *
     * @param inputs  as in {@link #aggregate(float[][], double[], int, float[])}
     * @param weights as in {@link #aggregate(float[][], double[], int, float[])}
     * @param length  elements
     * @param start   a starting center of at least {@code length} elements, or {@code null}
     * @param out     destination
     */
    default void aggregate(float[][] inputs, double[] weights, int length, float[] start, float[] out) {
        aggregate(inputs, weights, length, out);
    }

    /**
     * A short name for logs and manifests, e.g. {@code centered-clip(tau=1.0,iters=20)}.
     *
     * @return the name
     */
    String name();
}
