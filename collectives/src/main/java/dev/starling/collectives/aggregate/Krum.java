package dev.starling.collectives.aggregate;

import dev.starling.collectives.CollectivesException;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Krum and multi-Krum (Blanchard et al. 2017). Each contribution is scored by the sum of squared distances to its
 * {@code n - f - 2} nearest others; Krum returns the best-scored contribution, multi-Krum the weighted mean of
 * the {@code m} best. Ties go to the lower index. With fewer contributions than the guarantee needs
 * ({@code n < 2f + 3}, e.g. after dropouts) the neighbour count is clamped to {@code [1, n - 1]} rather than
 * failing the round. Immutable.
 */
public final class Krum implements Aggregator {
    private final int byzantine;
    private final int selected;

    /**
     * Creates the aggregator.
     *
     * @param byzantine f, the number of attackers assumed, ≥ 0
     * @param selected  m, contributions averaged; 1 is classic Krum
     */
    public Krum(final int byzantine, final int selected) {
        if (byzantine < 0 || selected < 1) {
            throw CollectivesException.internal("Krum needs f >= 0 and m >= 1, got f=" + byzantine + " m="
                + selected);
        }
        this.byzantine = byzantine;
        this.selected = selected;
    }

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] out) {
        double[] w = AggregatorChecks.check(inputs, weights, length, out);
        int n = inputs.length;
        Integer[] order = rank(inputs, length);
        int m = Math.min(selected, n);
        double total = 0;
        for (int j = 0; j < m; j++) {
            total += w[order[j]];
        }
        for (int c = 0; c < length; c++) {
            double s = 0;
            for (int j = 0; j < m; j++) {
                int i = order[j];
                // Equal weights when the selected ones carry none, so the result stays defined.
                s += (total > 0 ? w[i] / total : 1.0 / m) * inputs[i][c];
            }
            out[c] = (float) s;
        }
    }

    /**
     * Contribution indices, best Krum score first.
     *
     * @param inputs contributions
     * @param length elements compared
     * @return indices sorted by score, ties by index
     */
    public Integer[] rank(final float[][] inputs, final int length) {
        int n = inputs.length;
        double[][] dist = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                dist[i][j] = AggregatorChecks.squaredDistance(inputs[i], inputs[j], length);
                dist[j][i] = dist[i][j];
            }
        }
        int neighbours = Math.max(1, Math.min(n - 1, n - byzantine - 2));
        double[] score = new double[n];
        double[] row = new double[Math.max(0, n - 1)];
        for (int i = 0; i < n; i++) {
            int k = 0;
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    row[k++] = dist[i][j];
                }
            }
            Arrays.sort(row);
            for (int j = 0; j < Math.min(neighbours, row.length); j++) {
                score[i] += row[j];
            }
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> score[i]).thenComparingInt(i -> i));
        return order;
    }

    @Override
    public String name() {
        return selected == 1 ? "krum(f=" + byzantine + ")" : "multi-krum(f=" + byzantine + ",m=" + selected + ")";
    }
}
