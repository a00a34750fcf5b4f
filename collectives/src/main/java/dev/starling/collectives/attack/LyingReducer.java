package dev.starling.collectives.attack;

import dev.starling.collectives.aggregate.Aggregator;

/**
 * A reducer that lies: it aggregates with the honest rule, then adds {@code shift} to every coordinate it returns.
 * For experiments and tests of reducer verification. Immutable.
 */
public final class LyingReducer implements Aggregator {
    private final Aggregator honest;
    private final float shift;

    /**
     * Creates the liar.
     *
     * @param honest the rule it pretends to run
     * @param shift  added to every coordinate
     */
    public LyingReducer(final Aggregator honest, final float shift) {
        this.honest = honest;
        this.shift = shift;
    }

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] out) {
        aggregate(inputs, weights, length, null, out);
    }

    @Override
    public void aggregate(final float[][] inputs, final double[] weights, final int length, final float[] start,
                          final float[] out) {
        honest.aggregate(inputs, weights, length, start, out);
        for (int c = 0; c < length; c++) {
            out[c] += shift;
        }
    }

    @Override
    public String name() {
        return "lying(" + honest.name() + ",shift=" + shift + ")";
    }
}
