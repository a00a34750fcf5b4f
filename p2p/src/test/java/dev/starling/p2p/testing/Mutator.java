package dev.starling.p2p.testing;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic byte mutator for fuzz tests: bit flips, interesting values, insertions, deletions,
 * duplications, truncations and splices of corpus entries. One instance per test, seeded.
 */
public final class Mutator {
    /** Iterations per codec: {@code -Dfuzz.iterations=N} for the long run, a few thousand by default. */
    public static final int ITERATIONS = Integer.getInteger("fuzz.iterations", 3000);
    private static final int[] INTERESTING = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x0a, 0x40};
    private final SplittableRandom random;
    private final List<byte[]> corpus;

    /**
     * Iterations for an expensive target: {@code quick} by default, {@link #ITERATIONS} when the long run asks.
     */
    public static int iterations(int quick) {
        return Integer.getInteger("fuzz.iterations") != null ? ITERATIONS : Math.min(quick, ITERATIONS);
    }

    public Mutator(long seed, List<byte[]> corpus) {
        this.random = new SplittableRandom(seed);
        this.corpus = corpus;
    }

    public byte[] next() {
        byte[] b = corpus.get(random.nextInt(corpus.size())).clone();
        int ops = 1 + random.nextInt(4);
        for (int i = 0; i < ops; i++) b = mutate(b);
        return b;
    }

    private byte[] mutate(byte[] b) {
        if (b.length == 0) return new byte[] {(byte) random.nextInt(256)};
        int at = random.nextInt(b.length);
        switch (random.nextInt(8)) {
            case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
            case 1 -> b[at] = (byte) INTERESTING[random.nextInt(INTERESTING.length)];
            case 2 -> b[at] = (byte) random.nextInt(256);
            case 3 -> {
                int n = 1 + random.nextInt(8);
                byte[] out = new byte[b.length + n];
                System.arraycopy(b, 0, out, 0, at);
                for (int i = 0; i < n; i++) out[at + i] = (byte) random.nextInt(256);
                System.arraycopy(b, at, out, at + n, b.length - at);
                return out;
            }
            case 4 -> {
                int n = Math.min(b.length - at, 1 + random.nextInt(16));
                byte[] out = new byte[b.length - n];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(b, at + n, out, at, b.length - at - n);
                return out;
            }
            case 5 -> {
                int n = Math.min(b.length - at, 1 + random.nextInt(32));
                byte[] out = Arrays.copyOf(b, b.length + n);
                System.arraycopy(b, at, out, b.length, n);
                return out;
            }
            case 6 -> {
                return Arrays.copyOf(b, at);
            }
            default -> {
                byte[] other = corpus.get(random.nextInt(corpus.size()));
                byte[] out = Arrays.copyOf(b, at + other.length);
                System.arraycopy(other, 0, out, at, other.length);
                return out;
            }
        }
        return b;
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }
}
