package dev.starling.p2p.security.noise;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;

/**
 * Measures the Noise transport cipher alone on the calling thread, in MB (10^6 bytes) per CPU second of that
 * thread: the ceiling a single-core end of a stream can reach. Used by {@code starling bench p2p}.
 */
public final class AeadThroughput {
    /** The figures of one measurement, each in MB per CPU second of one thread. */
    public record Figures(double aeadSealMbPerCpuS, double chacha20MbPerCpuS, double poly1305MbPerCpuS) {
    }

    private AeadThroughput() {
    }

    /**
     * Seals full-size Noise messages (65519 plaintext bytes), then runs ChaCha20 and Poly1305 alone on them.
     *
     * @param bytes how many plaintext bytes each part processes (after a warm-up of the same size)
     * @return the figures
     */
    public static Figures measure(long bytes) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        byte[] key = new byte[32];
        SplittableRandom random = new SplittableRandom(5);
        random.nextBytes(key);
        byte[] text = new byte[NoiseHandler.MAX_PLAINTEXT];
        random.nextBytes(text);
        byte[] out = new byte[text.length + NoiseCipherState.TAG];
        long messages = Math.max(1, bytes / text.length);
        double[] mbs = new double[3];
        for (int pass = 0; pass < 2; pass++) { // the first pass warms up the JIT
            for (int part = 0; part < 3; part++) {
                long t0 = threads.getCurrentThreadCpuTime();
                run(part, key, text, out, messages);
                double secs = (threads.getCurrentThreadCpuTime() - t0) / 1e9;
                mbs[part] = messages * (double) text.length / secs / 1e6;
            }
        }
        return new Figures(mbs[0], mbs[1], mbs[2]);
    }

    private static void run(int part, byte[] key, byte[] text, byte[] out, long messages) {
        ChaChaPolyAead aead = new ChaChaPolyAead(key);
        ChaCha20 chacha = new ChaCha20(key);
        Poly1305 poly = new Poly1305();
        byte[] nonce = new byte[12];
        byte[] noAd = new byte[0];
        for (long m = 0; m < messages; m++) {
            Poly1305.put64(nonce, 4, m);
            switch (part) {
                case 0 -> {
                    aead.begin(nonce, noAd);
                    aead.encrypt(text, 0, text.length, out, 0);
                    aead.sealTag(out, text.length);
                }
                case 1 -> {
                    chacha.reset(nonce, 1);
                    chacha.xor(text, 0, text.length, out, 0);
                }
                default -> {
                    poly.init(key, 0);
                    poly.update(text, 0, text.length);
                    poly.finish(out, 0);
                }
            }
        }
    }
}
