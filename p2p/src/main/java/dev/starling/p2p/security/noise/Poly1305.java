package dev.starling.p2p.security.noise;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Poly1305 (RFC 8439 section 2.5) in radix 2^26: the accumulator and r are five 26-bit limbs, so a 16-byte block
 * costs 25 64-bit multiplications with no carries between them (every column sum stays below 2^59). Long inputs
 * run four blocks at a time in the four lanes of a 256-bit {@link LongVector} (each lane a Horner sum in r^4,
 * folded with r^4, r^3, r^2, r at the end); the limbs are masked to 32 bits before multiplying so that C2 uses
 * AVX2's 32x32-bit vpmuludq (without the mask: a slow emulated 64-bit multiply, no faster than scalar code).
 * The JDK's own Poly1305 has a CPU intrinsic only with AVX-512; on this AVX2 machine this is faster (see the p2p
 * README).
 *
 * <p>Streaming: {@link #init}, any number of {@link #update} calls of any length, {@link #finish}. Not thread-safe.
 */
final class Poly1305 {
    /** Tag length in bytes. */
    static final int TAG_BYTES = 16;
    private static final long M26 = (1L << 26) - 1;
    private static final VectorSpecies<Long> FOUR = LongVector.SPECIES_256;
    private static final int LANES = 4;
    /** Whether 256-bit vectors are native (AVX2 and up): emulated, the four-lane path would be slower. */
    private static final boolean FOUR_LANES_NATIVE = LongVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    /** Below this many bytes the four-lane path does not pay for its set-up and final fold. */
    private static final int VECTOR_MIN_BYTES = 512;
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
    /** Limbs of r^4 (broadcast) and of (r^4, r^3, r^2, r) for the lanes' last step; null until {@link #init}. */
    private final long[] powers = new long[4 * 10];
    /** Two sets of message limbs (limb k of block j at 4k + j): the current group's and the next one's. */
    private final long[] limbs = new long[2 * 5 * LANES];
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
        powers();
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
        if (len >= VECTOR_MIN_BYTES && FOUR_LANES_NATIVE) {
            int done = updateFourLanes(in, off, len);
            off += done;
            len -= done;
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

    /** Fills {@link #powers}: limb k of r^(4 - j) at 4k + j, for j = 0..3. */
    private void powers() {
        long[] pow1 = {r0, r1, r2, r3, r4};
        long[] pow2 = {q0, q1, q2, q3, q4};
        long[] pow3 = mulMod(pow2, pow1);
        long[] pow4 = mulMod(pow2, pow2);
        for (int k = 0; k < 5; k++) {
            powers[4 * k] = pow4[k];
            powers[4 * k + 1] = pow3[k];
            powers[4 * k + 2] = pow2[k];
            powers[4 * k + 3] = pow1[k];
        }
    }

    /** a * b mod 2^130 - 5 on five 26-bit limbs (set-up only). */
    private static long[] mulMod(long[] a, long[] b) {
        long[] d = new long[5];
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                int k = i + j;
                d[k % 5] += a[i] * b[j] * (k >= 5 ? 5 : 1);
            }
        }
        for (int k = 0; k < 4; k++) {
            d[k + 1] += d[k] >>> 26;
            d[k] &= M26;
        }
        d[0] += (d[4] >>> 26) * 5;
        d[4] &= M26;
        d[1] += d[0] >>> 26;
        d[0] &= M26;
        return d;
    }

    /**
     * Absorbs whole groups of four blocks with four lanes (lane j takes blocks j, j + 4, ...): each lane is a
     * Horner sum in r^4, and at the end lane j is multiplied by r^(4 - j) and the lanes are added into h.
     *
     * @return the bytes absorbed (a multiple of 64)
     */
    private int updateFourLanes(byte[] in, int off, int len) {
        int groups = len / 64;
        loadLimbs(in, off, 0);
        limbs[0] += h0;
        limbs[LANES] += h1;
        limbs[2 * LANES] += h2;
        limbs[3 * LANES] += h3;
        limbs[4 * LANES] += h4;
        LongVector a0 = LongVector.fromArray(FOUR, limbs, 0);
        LongVector a1 = LongVector.fromArray(FOUR, limbs, LANES);
        LongVector a2 = LongVector.fromArray(FOUR, limbs, 2 * LANES);
        LongVector a3 = LongVector.fromArray(FOUR, limbs, 3 * LANES);
        LongVector a4 = LongVector.fromArray(FOUR, limbs, 4 * LANES);
        if (groups > 1) loadLimbs(in, off + 64, 5 * LANES);
        LongVector p0 = LongVector.broadcast(FOUR, powers[0]);
        LongVector p1 = LongVector.broadcast(FOUR, powers[4]);
        LongVector p2 = LongVector.broadcast(FOUR, powers[8]);
        LongVector p3 = LongVector.broadcast(FOUR, powers[12]);
        LongVector p4 = LongVector.broadcast(FOUR, powers[16]);
        LongVector t1 = low32(p1.mul(5));
        LongVector t2 = low32(p2.mul(5));
        LongVector t3 = low32(p3.mul(5));
        LongVector t4 = low32(p4.mul(5));
        p0 = low32(p0);
        p1 = low32(p1);
        p2 = low32(p2);
        p3 = low32(p3);
        p4 = low32(p4);
        for (int g = 1; g < groups; g++) {
            // limbs of group g were split in the previous step; split those of g + 1 now, so that the vector
            // loads come long after the scalar stores (a load right behind them stalls on store forwarding)
            int at = (g & 1) * 5 * LANES;
            if (g + 1 < groups) loadLimbs(in, off + 64 * (g + 1), 5 * LANES - at);
            a0 = low32(a0);
            a1 = low32(a1);
            a2 = low32(a2);
            a3 = low32(a3);
            a4 = low32(a4);
            LongVector d0 = a0.mul(p0).add(a1.mul(t4)).add(a2.mul(t3)).add(a3.mul(t2)).add(a4.mul(t1));
            LongVector d1 = a0.mul(p1).add(a1.mul(p0)).add(a2.mul(t4)).add(a3.mul(t3)).add(a4.mul(t2));
            LongVector d2 = a0.mul(p2).add(a1.mul(p1)).add(a2.mul(p0)).add(a3.mul(t4)).add(a4.mul(t3));
            LongVector d3 = a0.mul(p3).add(a1.mul(p2)).add(a2.mul(p1)).add(a3.mul(p0)).add(a4.mul(t4));
            LongVector d4 = a0.mul(p4).add(a1.mul(p3)).add(a2.mul(p2)).add(a3.mul(p1)).add(a4.mul(p0));
            d1 = d1.add(d0.lanewise(VectorOperators.LSHR, 26));
            d2 = d2.add(d1.lanewise(VectorOperators.LSHR, 26));
            d3 = d3.add(d2.lanewise(VectorOperators.LSHR, 26));
            d4 = d4.add(d3.lanewise(VectorOperators.LSHR, 26));
            LongVector c4 = d4.lanewise(VectorOperators.LSHR, 26);
            LongVector n0 = d0.and(M26).add(c4.lanewise(VectorOperators.LSHL, 2)).add(c4); // + 5 c4
            a1 = d1.and(M26).add(n0.lanewise(VectorOperators.LSHR, 26))
                    .add(LongVector.fromArray(FOUR, limbs, at + LANES));
            a0 = n0.and(M26).add(LongVector.fromArray(FOUR, limbs, at));
            a2 = d2.and(M26).add(LongVector.fromArray(FOUR, limbs, at + 2 * LANES));
            a3 = d3.and(M26).add(LongVector.fromArray(FOUR, limbs, at + 3 * LANES));
            a4 = d4.and(M26).add(LongVector.fromArray(FOUR, limbs, at + 4 * LANES));
        }
        foldLanes(a0, a1, a2, a3, a4);
        return 64 * groups;
    }

    /**
     * The value itself (every limb is below 2^32): the mask lets C2 multiply with one 32x32-bit instruction
     * (vpmuludq) instead of a 64-bit multiply that AVX2 lacks.
     */
    private static LongVector low32(LongVector v) {
        return v.and(0xFFFF_FFFFL);
    }

    /** h = sum over lanes j of a_j * r^(4 - j), reduced to limbs the scalar steps accept. */
    private void foldLanes(LongVector a0, LongVector a1, LongVector a2, LongVector a3, LongVector a4) {
        LongVector p0 = LongVector.fromArray(FOUR, powers, 0);
        LongVector p1 = LongVector.fromArray(FOUR, powers, LANES);
        LongVector p2 = LongVector.fromArray(FOUR, powers, 2 * LANES);
        LongVector p3 = LongVector.fromArray(FOUR, powers, 3 * LANES);
        LongVector p4 = LongVector.fromArray(FOUR, powers, 4 * LANES);
        LongVector t1 = p1.mul(5);
        LongVector t2 = p2.mul(5);
        LongVector t3 = p3.mul(5);
        LongVector t4 = p4.mul(5);
        // each lane's sum stays below 2^60 and four of them below 2^62
        long d0 = a0.mul(p0).add(a1.mul(t4)).add(a2.mul(t3)).add(a3.mul(t2)).add(a4.mul(t1))
                .reduceLanes(VectorOperators.ADD);
        long d1 = a0.mul(p1).add(a1.mul(p0)).add(a2.mul(t4)).add(a3.mul(t3)).add(a4.mul(t2))
                .reduceLanes(VectorOperators.ADD);
        long d2 = a0.mul(p2).add(a1.mul(p1)).add(a2.mul(p0)).add(a3.mul(t4)).add(a4.mul(t3))
                .reduceLanes(VectorOperators.ADD);
        long d3 = a0.mul(p3).add(a1.mul(p2)).add(a2.mul(p1)).add(a3.mul(p0)).add(a4.mul(t4))
                .reduceLanes(VectorOperators.ADD);
        long d4 = a0.mul(p4).add(a1.mul(p3)).add(a2.mul(p2)).add(a3.mul(p1)).add(a4.mul(p0))
                .reduceLanes(VectorOperators.ADD);
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

    /** Splits the four blocks at {@code off} into limbs: limb k of block j at {@code limbs[at + 4k + j]}. */
    private void loadLimbs(byte[] in, int off, int at) {
        long[] l = limbs;
        for (int j = 0; j < LANES; j++) {
            long lo = le64(in, off + 16 * j);
            long hi = le64(in, off + 16 * j + 8);
            l[at + j] = lo & M26;
            l[at + LANES + j] = (lo >>> 26) & M26;
            l[at + 2 * LANES + j] = ((lo >>> 52) | (hi << 12)) & M26;
            l[at + 3 * LANES + j] = (hi >>> 14) & M26;
            l[at + 4 * LANES + j] = (hi >>> 40) | (1L << 24);
        }
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
