package dev.starling.fault.checkfree;

/**
 * CheckFree's rebuild of a lost intermediate stage: the weighted average of its two neighbours' weights,
 * {@code W_s = (w_prev * W_{s-1} + w_next * W_{s+1}) / (w_prev + w_next)}, where each neighbour's weight is the norm
 * of its most recent gradient (plus a small floor, so that a neighbour with a zero or unknown norm still counts). The
 * paper finds this beats a plain copy or a uniform average: the neighbour that is still moving more carries more of
 * the lost stage's function. Pure function; any thread.
 */
public final class CheckFree {
    /** Added to each gradient norm so a zero, tiny or unknown norm still gives its neighbour some weight. */
    public static final double NORM_FLOOR = 1e-4;

    private CheckFree() {
    }

    /**
     * A neighbour's averaging weight.
     *
     * @param gradNorm its most recent gradient norm (NaN when it has taken no step yet)
     * @return {@code |gradNorm| + NORM_FLOOR}, or 1 when the norm is unknown
     */
    public static double weight(double gradNorm) {
        return Double.isFinite(gradNorm) ? Math.abs(gradNorm) + NORM_FLOOR : 1.0;
    }

    /**
     * Writes the gradient-norm-weighted average of two neighbour stages into {@code dst}.
     *
     * @param prev     the previous stage's block weights
     * @param prevOff  where they start
     * @param prevNorm the previous stage's last gradient norm
     * @param next     the next stage's block weights (same shapes)
     * @param nextOff  where they start
     * @param nextNorm the next stage's last gradient norm
     * @param dst      receives the rebuilt weights
     * @param dstOff   where they start
     * @param length   floats
     * @throws IllegalArgumentException if a range falls outside its array
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void average(float[] prev, int prevOff, double prevNorm, float[] next, int nextOff, double nextNorm,
                               float[] dst, int dstOff, int length) {
        check(prev, prevOff, length);
        check(next, nextOff, length);
        check(dst, dstOff, length);
        double a = weight(prevNorm);
        double b = weight(nextNorm);
        float wa = (float) (a / (a + b));
        float wb = (float) (b / (a + b));
        for (int i = 0; i < length; i++) {
            dst[dstOff + i] = wa * prev[prevOff + i] + wb * next[nextOff + i];
        }
    }

    private static void check(float[] a, int off, int length) {
        if (off < 0 || length < 0 || off > a.length - length) {
            throw new IllegalArgumentException("range [" + off + ", +" + length + ") outside an array of " + a.length);
        }
    }
}
