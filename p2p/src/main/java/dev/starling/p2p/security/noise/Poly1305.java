package dev.starling.p2p.security.noise;

/**
 * Poly1305 (RFC 8439 section 2.5) in radix 2^26: the accumulator and r are five 26-bit limbs, so a 16-byte block
 * costs 25 64-bit multiplications with no carries between them (every column sum stays below 2^59). The JDK's own
 * Poly1305 has a CPU intrinsic only with AVX-512; on this AVX2 machine this is faster (see the p2p README).
 *
 * <p>Streaming: {@link #init}, any number of {@link #update} calls of any length, {@link #finish}. Not thread-safe.
 */
final class Poly1305 {
    /** Tag length in bytes. */
    static final int TAG_BYTES = 16;
    private static final long M26 = (1L << 26) - 1;
    /** One 8-byte little-endian load (the JIT emits a single move) instead of eight byte loads. */
    private static final java.lang.invoke.VarHandle LE64 = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private long r0;
    private long r1;
    private long r2;
    private long r3;
    private long r4;
    private long s1;
    private long s2;
    private long s3;
    private long s4;
    private long q0;
    private long q1;
    private long q2;
    private long q3;
    private long q4;
    private long u1;
    private long u2;
    private long u3;
    private long u4;
    private long pad0;
    private long pad1;
    private long h0;
    private long h1;
    private long h2;
    private long h3;
    private long h4;
    private final byte[] partial = new byte[16];
    private int partialLen;

    /**
     * Starts a tag with a one-time 32-byte key (r then s).
     *
     * @param key the key array
     * @param off where the key starts
     */
    void init(byte[] key, int off) {
        long t0 = le64(key, off) & 0x0ffffffc0fffffffL;
        long t1 = le64(key, off + 8) & 0x0ffffffc0ffffffcL;
        r0 = t0 & M26;
        r1 = (t0 >>> 26) & M26;
        r2 = ((t0 >>> 52) | (t1 << 12)) & M26;
        r3 = (t1 >>> 14) & M26;
        r4 = t1 >>> 40;
        // products that land at 2^130 and above wrap around as 2^130 = 5 (mod 2^130 - 5)
        s1 = r1 * 5;
        s2 = r2 * 5;
        s3 = r3 * 5;
        s4 = r4 * 5;
        // r^2, for two blocks at a time: h' = (h + m1) r^2 + m2 r, two independent products and one carry chain
        h0 = r0;
        h1 = r1;
        h2 = r2;
        h3 = r3;
        h4 = r4;
        block(0, 0, 0);
        q0 = h0;
        q1 = h1;
        q2 = h2;
        q3 = h3;
        q4 = h4;
        u1 = q1 * 5;
        u2 = q2 * 5;
        u3 = q3 * 5;
        u4 = q4 * 5;
        pad0 = le64(key, off + 16);
        pad1 = le64(key, off + 24);
        h0 = 0;
        h1 = 0;
        h2 = 0;
        h3 = 0;
        h4 = 0;
        partialLen = 0;
    }

    /**
     * Absorbs message bytes.
     *
     * @param in  the array
     * @param off where the bytes start
     * @param len how many
     */
    void update(byte[] in, int off, int len) {
        if (partialLen > 0) {
            int take = Math.min(len, 16 - partialLen);
            System.arraycopy(in, off, partial, partialLen, take);
            partialLen += take;
            off += take;
            len -= take;
            if (partialLen < 16) {
                return;
            }
            block(le64(partial, 0), le64(partial, 8), 1);
            partialLen = 0;
        }
        while (len >= 32) {
            blocks2(le64(in, off), le64(in, off + 8), le64(in, off + 16), le64(in, off + 24));
            off += 32;
            len -= 32;
        }
        while (len >= 16) {
            block(le64(in, off), le64(in, off + 8), 1);
            off += 16;
            len -= 16;
        }
        if (len > 0) {
            System.arraycopy(in, off, partial, 0, len);
            partialLen = len;
        }
    }

    /**
     * Absorbs zero bytes up to the next multiple of 16 (the AEAD's padding), if a block is partly filled.
     */
    void padToBlock() {
        if (partialLen > 0) {
            java.util.Arrays.fill(partial, partialLen, 16, (byte) 0);
            block(le64(partial, 0), le64(partial, 8), 1);
            partialLen = 0;
        }
    }

    /**
     * Absorbs one full block given as two little-endian words (used for the AEAD's length block).
     *
     * @param lo bytes 0..7
     * @param hi bytes 8..15
     */
    void updateBlock(long lo, long hi) {
        block(lo, hi, 1);
    }

    private void block(long lo, long hi, long hibit) {
        long a0 = h0 + (lo & M26);
        long a1 = h1 + ((lo >>> 26) & M26);
        long a2 = h2 + (((lo >>> 52) | (hi << 12)) & M26);
        long a3 = h3 + ((hi >>> 14) & M26);
        long a4 = h4 + ((hi >>> 40) | (hibit << 24));
        long d0 = a0 * r0 + a1 * s4 + a2 * s3 + a3 * s2 + a4 * s1;
        long d1 = a0 * r1 + a1 * r0 + a2 * s4 + a3 * s3 + a4 * s2;
        long d2 = a0 * r2 + a1 * r1 + a2 * r0 + a3 * s4 + a4 * s3;
        long d3 = a0 * r3 + a1 * r2 + a2 * r1 + a3 * r0 + a4 * s4;
        long d4 = a0 * r4 + a1 * r3 + a2 * r2 + a3 * r1 + a4 * r0;
        d1 += d0 >>> 26;
        d2 += d1 >>> 26;
        d3 += d2 >>> 26;
        d4 += d3 >>> 26;
        long n0 = (d0 & M26) + (d4 >>> 26) * 5;
        h1 = (d1 & M26) + (n0 >>> 26);
        h0 = n0 & M26;
        h2 = d2 & M26;
        h3 = d3 & M26;
        h4 = d4 & M26;
    }

    /** Two full blocks: (h + m1) r^2 + m2 r, with one carry chain. */
    private void blocks2(long lo1, long hi1, long lo2, long hi2) {
        long a0 = h0 + (lo1 & M26);
        long a1 = h1 + ((lo1 >>> 26) & M26);
        long a2 = h2 + (((lo1 >>> 52) | (hi1 << 12)) & M26);
        long a3 = h3 + ((hi1 >>> 14) & M26);
        long a4 = h4 + ((hi1 >>> 40) | (1L << 24));
        long b0 = lo2 & M26;
        long b1 = (lo2 >>> 26) & M26;
        long b2 = ((lo2 >>> 52) | (hi2 << 12)) & M26;
        long b3 = (hi2 >>> 14) & M26;
        long b4 = (hi2 >>> 40) | (1L << 24);
        long d0 = a0 * q0 + a1 * u4 + a2 * u3 + a3 * u2 + a4 * u1
                + b0 * r0 + b1 * s4 + b2 * s3 + b3 * s2 + b4 * s1;
        long d1 = a0 * q1 + a1 * q0 + a2 * u4 + a3 * u3 + a4 * u2
                + b0 * r1 + b1 * r0 + b2 * s4 + b3 * s3 + b4 * s2;
        long d2 = a0 * q2 + a1 * q1 + a2 * q0 + a3 * u4 + a4 * u3
                + b0 * r2 + b1 * r1 + b2 * r0 + b3 * s4 + b4 * s3;
        long d3 = a0 * q3 + a1 * q2 + a2 * q1 + a3 * q0 + a4 * u4
                + b0 * r3 + b1 * r2 + b2 * r1 + b3 * r0 + b4 * s4;
        long d4 = a0 * q4 + a1 * q3 + a2 * q2 + a3 * q1 + a4 * q0
                + b0 * r4 + b1 * r3 + b2 * r2 + b3 * r1 + b4 * r0;
        d1 += d0 >>> 26;
        d2 += d1 >>> 26;
        d3 += d2 >>> 26;
        d4 += d3 >>> 26;
        long n0 = (d0 & M26) + (d4 >>> 26) * 5;
        h1 = (d1 & M26) + (n0 >>> 26);
        h0 = n0 & M26;
        h2 = d2 & M26;
        h3 = d3 & M26;
        h4 = d4 & M26;
    }

    /**
     * Finishes the tag (a partly filled block is padded with a 1 bit, as for a message tail) and writes it.
     *
     * @param out the array
     * @param off where the 16 bytes go
     */
    void finish(byte[] out, int off) {
        if (partialLen > 0) {
            partial[partialLen] = 1;
            java.util.Arrays.fill(partial, partialLen + 1, 16, (byte) 0);
            block(le64(partial, 0), le64(partial, 8), 0);
            partialLen = 0;
        }
        long a0 = h0;
        long a1 = h1;
        long a2 = h2;
        long a3 = h3;
        long a4 = h4;
        for (int pass = 0; pass < 2; pass++) { // two full carry passes: every limb below 2^26
            a2 += a1 >>> 26;
            a1 &= M26;
            a3 += a2 >>> 26;
            a2 &= M26;
            a4 += a3 >>> 26;
            a3 &= M26;
            a0 += (a4 >>> 26) * 5;
            a4 &= M26;
            a1 += a0 >>> 26;
            a0 &= M26;
        }
        // h - p = h + 5 - 2^130: use it when it does not go negative (h >= p)
        long g0 = a0 + 5;
        long g1 = a1 + (g0 >>> 26);
        g0 &= M26;
        long g2 = a2 + (g1 >>> 26);
        g1 &= M26;
        long g3 = a3 + (g2 >>> 26);
        g2 &= M26;
        long g4 = a4 + (g3 >>> 26) - (1L << 26);
        g3 &= M26;
        long useG = ~(g4 >> 63); // all ones when g4 >= 0
        a0 = (a0 & ~useG) | (g0 & useG);
        a1 = (a1 & ~useG) | (g1 & useG);
        a2 = (a2 & ~useG) | (g2 & useG);
        a3 = (a3 & ~useG) | (g3 & useG);
        a4 = (a4 & ~useG) | (g4 & useG);
        long lo = a0 | (a1 << 26) | (a2 << 52);
        long hi = (a2 >>> 12) | (a3 << 14) | (a4 << 40);
        long sumLo = lo + pad0;
        long carry = Long.compareUnsigned(sumLo, lo) < 0 ? 1 : 0;
        long sumHi = hi + pad1 + carry;
        put64(out, off, sumLo);
        put64(out, off + 8, sumHi);
    }

    static long le64(byte[] b, int off) {
        return (long) LE64.get(b, off);
    }

    static void put64(byte[] b, int off, long v) {
        for (int i = 0; i < 8; i++) {
            b[off + i] = (byte) (v >>> (8 * i));
        }
    }
}
