package dev.starling.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The hot loop of {@link Gemm#sgemm}: packing of A and B into contiguous micro-panels, and the
 * register-blocked micro-kernel that multiplies one {@code MR x kc} sliver of packed A by one
 * {@code kc x NR} sliver of packed B into an {@code MR x NR} tile of C.
 *
 * <p>Shapes: {@code NR} is two vectors of {@link FloatVector#SPECIES_PREFERRED} (16 floats on
 * AVX2, 32 on AVX-512), {@code MR} is 4 rows, so the kernel keeps 8 vector accumulators (enough
 * to cover FMA latency 4 on two FMA pipes), two B vectors and up to four broadcast A values in
 * registers, 14 of AVX2's 16. A 6-row tile (12 accumulators, the textbook AVX2 shape) measured
 * at half the speed: C2 hoists the broadcasts, runs out of registers and spills an accumulator to
 * the stack, which puts a store-to-load round trip on that accumulator's dependency chain. Packed layouts:
 * <pre>
 *   packed A sliver s: ap[s * (kc*MR + 16) + p*MR + r] = op(A)[i0 + s*MR + r, p0 + p]  (rows past m are 0)
 *   packed B sliver s: bp[s * (kc*NR + 16) + p*NR + j] = op(B)[p0 + p, j0 + s*NR + j]  (cols past n are 0)
 * </pre>
 * Zero padding lets the kernel always compute a full tile; partial tiles at the right and bottom
 * edges go through a small scratch tile and a scalar copy.
 *
 * <p>Thread: any; each call touches only the arrays and ranges it is given. Stateless.
 */
final class SgemmKernel {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    /** Floats per vector. */
    static final int LANES = SPECIES.length();
    /** Rows of a micro-tile. */
    static final int MR = 4;
    /** Columns of a micro-tile: two vectors. */
    static final int NR = 2 * LANES;

    /** Values of p packed per pass over a transposed B sliver (see packB). */
    private static final int PACK_CHUNK = 64;
    /** Padding after each packed A sliver, one 64-byte line (see packA). */
    private static final int A_PAD = 16;

    /** Store mode: {@code C = alpha * acc}. */
    static final int OVERWRITE = 0;
    /** Store mode: {@code C = alpha * acc + beta * C}. */
    static final int SCALE = 1;
    /** Store mode: {@code C = alpha * acc + C} (later blocks of k). */
    static final int ADD = 2;

    private SgemmKernel() {
    }

    /**
     * {@code out[MR, NR] (+)= Ap[MR, kc] * Bp[kc, NR]} for one packed A sliver and one packed B sliver,
     * with row stride {@code ldOut}: C itself when alpha is 1 and beta 0 or 1 ({@code accumulate} starts
     * the sums from C's values), else a scratch tile.
     * Kept free of alpha, beta and C loads so that C2 inlines every Vector API call into it: a call it
     * fails to inline boxes its vectors and allocates on every iteration.
     */
    static void kernel(int kc, float[] ap, int aIdx, float[] bp, int bIdx, float[] out, int outIdx, int ldOut,
                       boolean accumulate) {
        FloatVector c00;
        FloatVector c01;
        FloatVector c10;
        FloatVector c11;
        FloatVector c20;
        FloatVector c21;
        FloatVector c30;
        FloatVector c31;
        if (accumulate) {
            int o = outIdx;
            c00 = FloatVector.fromArray(SPECIES, out, o);
            c01 = FloatVector.fromArray(SPECIES, out, o + LANES);
            o += ldOut;
            c10 = FloatVector.fromArray(SPECIES, out, o);
            c11 = FloatVector.fromArray(SPECIES, out, o + LANES);
            o += ldOut;
            c20 = FloatVector.fromArray(SPECIES, out, o);
            c21 = FloatVector.fromArray(SPECIES, out, o + LANES);
            o += ldOut;
            c30 = FloatVector.fromArray(SPECIES, out, o);
            c31 = FloatVector.fromArray(SPECIES, out, o + LANES);
        } else {
            c00 = FloatVector.zero(SPECIES);
            c01 = c00;
            c10 = c00;
            c11 = c00;
            c20 = c00;
            c21 = c00;
            c30 = c00;
            c31 = c00;
        }
        for (int p = 0; p < kc; p++) {
            int bi = bIdx + p * NR;
            int ai = aIdx + p * MR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, bp, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bp, bi + LANES);
            FloatVector av = FloatVector.broadcast(SPECIES, ap[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(SPECIES, ap[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(SPECIES, ap[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(SPECIES, ap[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        c00.intoArray(out, outIdx);
        c01.intoArray(out, outIdx + LANES);
        int o = outIdx + ldOut;
        c10.intoArray(out, o);
        c11.intoArray(out, o + LANES);
        o += ldOut;
        c20.intoArray(out, o);
        c21.intoArray(out, o + LANES);
        o += ldOut;
        c30.intoArray(out, o);
        c31.intoArray(out, o + LANES);
    }

    /**
     * {@link #kernel} reading A straight from its row-major storage instead of a packed sliver: rows
     * {@code aIdx + r * lda}, {@code r < MR}, each read sequentially. Used when A is not transposed,
     * which saves packing A (a cost that grows as n shrinks, since packed A is reused n / NR times).
     */
    static void kernelRows(int kc, float[] a, int aIdx, int lda, float[] bp, int bIdx, float[] out, int outIdx,
                           int ldOut, boolean accumulate) {
        int a1 = aIdx + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        FloatVector c00;
        FloatVector c01;
        FloatVector c10;
        FloatVector c11;
        FloatVector c20;
        FloatVector c21;
        FloatVector c30;
        FloatVector c31;
        if (accumulate) {
            int o = outIdx;
            c00 = FloatVector.fromArray(SPECIES, out, o);
            c01 = FloatVector.fromArray(SPECIES, out, o + LANES);
            o += ldOut;
            c10 = FloatVector.fromArray(SPECIES, out, o);
            c11 = FloatVector.fromArray(SPECIES, out, o + LANES);
            o += ldOut;
            c20 = FloatVector.fromArray(SPECIES, out, o);
            c21 = FloatVector.fromArray(SPECIES, out, o + LANES);
            o += ldOut;
            c30 = FloatVector.fromArray(SPECIES, out, o);
            c31 = FloatVector.fromArray(SPECIES, out, o + LANES);
        } else {
            c00 = FloatVector.zero(SPECIES);
            c01 = c00;
            c10 = c00;
            c11 = c00;
            c20 = c00;
            c21 = c00;
            c30 = c00;
            c31 = c00;
        }
        for (int p = 0; p < kc; p++) {
            int bi = bIdx + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, bp, bi);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bp, bi + LANES);
            FloatVector av = FloatVector.broadcast(SPECIES, a[aIdx + p]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(SPECIES, a[a1 + p]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(SPECIES, a[a2 + p]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(SPECIES, a[a3 + p]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        c00.intoArray(out, outIdx);
        c01.intoArray(out, outIdx + LANES);
        int o = outIdx + ldOut;
        c10.intoArray(out, o);
        c11.intoArray(out, o + LANES);
        o += ldOut;
        c20.intoArray(out, o);
        c21.intoArray(out, o + LANES);
        o += ldOut;
        c30.intoArray(out, o);
        c31.intoArray(out, o + LANES);
    }

    /**
     * Applies a computed tile (row stride NR) to the {@code rows x cols} corner of C at {@code cIdx}:
     * {@code C = alpha * tile} ({@link #OVERWRITE}), {@code + beta * C} ({@link #SCALE}) or {@code + C}
     * ({@link #ADD}). Full-width rows use vectors, partial ones scalars.
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    static void applyTile(float[] tile, float[] c, int cIdx, int ldc, int rows, int cols,
                          float alpha, float beta, int mode) {
        if (cols == NR) {
            FloatVector alphaV = FloatVector.broadcast(SPECIES, alpha);
            FloatVector betaV = FloatVector.broadcast(SPECIES, beta);
            for (int r = 0; r < rows; r++) {
                int ci = cIdx + r * ldc;
                for (int v = 0; v < NR; v += LANES) {
                    FloatVector t = FloatVector.fromArray(SPECIES, tile, r * NR + v).mul(alphaV);
                    if (mode == ADD) {
                        t = t.add(FloatVector.fromArray(SPECIES, c, ci + v));
                    } else if (mode == SCALE) {
                        t = FloatVector.fromArray(SPECIES, c, ci + v).fma(betaV, t);
                    }
                    t.intoArray(c, ci + v);
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            int ci = cIdx + r * ldc;
            int ti = r * NR;
            for (int j = 0; j < cols; j++) {
                float v = alpha * tile[ti + j];
                if (mode == ADD) {
                    v += c[ci + j];
                } else if (mode == SCALE) {
                    v += beta * c[ci + j];
                }
                c[ci + j] = v;
            }
        }
    }

    /**
     * Packs rows {@code [i0, i0 + rows)} and columns {@code [p0, p0 + kc)} of op(A) into
     * {@code ceil(rows / MR)} slivers at {@code ap[0..]}, zero-padding the last sliver.
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int rows, int p0, int kc, float[] ap) {
        int slivers = (rows + MR - 1) / MR;
        int stride = aSliverStride(kc);
        if (transA) {
            // op(A)[i, p] = a[p * lda + i]: walk each stored row of A once, sequentially, and hand each
            // sliver its MR floats. The sliver stride is padded off a multiple of 4 KiB, so these
            // interleaved write streams land in different L1 sets instead of thrashing one.
            int full = rows / MR;
            for (int p = 0; p < kc; p++) {
                int src = aOff + (p0 + p) * lda + i0;
                int dst = p * MR;
                for (int s = 0; s < full; s++) {
                    int d = dst + s * stride;
                    int x = src + s * MR;
                    ap[d] = a[x];
                    ap[d + 1] = a[x + 1];
                    ap[d + 2] = a[x + 2];
                    ap[d + 3] = a[x + 3];
                }
                if (full < slivers) {
                    int d = dst + full * stride;
                    for (int r = 0; r < MR; r++) {
                        ap[d + r] = full * MR + r < rows ? a[src + full * MR + r] : 0f;
                    }
                }
            }
            return;
        }
        for (int s = 0; s < slivers; s++) {
            int base = s * stride;
            int r0 = i0 + s * MR;
            int valid = Math.min(MR, rows - s * MR);
            // op(A)[i, p] = a[i * lda + p]: read each row sequentially, write with stride MR.
            for (int r = 0; r < MR; r++) {
                if (r < valid) {
                    int src = aOff + (r0 + r) * lda + p0;
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * MR + r] = a[src + p];
                    }
                } else {
                    for (int p = 0; p < kc; p++) {
                        ap[base + p * MR + r] = 0f;
                    }
                }
            }
        }
    }

    /** Floats from one packed A sliver to the next: {@code kc * MR} plus one cache line of padding. */
    static int aSliverStride(int kc) {
        return kc * MR + A_PAD;
    }

    /**
     * Packs B slivers {@code [s0, s1)} of the panel whose first column is {@code j0} and whose
     * width is {@code cols}, rows {@code [p0, p0 + kc)} of op(B) where B is stored transposed
     * ({@code op(B)[p, j] = b[j * ldb + p]}), zero-padding past {@code cols}.
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    static void packBTransposed(float[] b, int bOff, int ldb, int j0, int cols, int p0, int kc,
                                int s0, int s1, float[] bp) {
        int stride = bSliverStride(kc);
        for (int s = s0; s < s1; s++) {
            int base = s * stride;
            int c0 = j0 + s * NR;
            int valid = Math.min(NR, cols - s * NR);
            // Read NR rows of b sequentially, write at a stride of NR, in chunks of p so that the written
            // lines stay in L1 until all NR columns have filled them.
            for (int pc = 0; pc < kc; pc += PACK_CHUNK) {
                int pEnd = Math.min(kc, pc + PACK_CHUNK);
                for (int j = 0; j < NR; j++) {
                    if (j < valid) {
                        int src = bOff + (c0 + j) * ldb + p0;
                        for (int p = pc; p < pEnd; p++) {
                            bp[base + p * NR + j] = b[src + p];
                        }
                    } else {
                        for (int p = pc; p < pEnd; p++) {
                            bp[base + p * NR + j] = 0f;
                        }
                    }
                }
            }
        }
    }

    /**
     * Packs rows {@code [pFrom, pTo)} (relative to {@code p0}) of every sliver of the panel whose
     * first column is {@code j0} and whose width is {@code cols}, where B is stored as is
     * ({@code op(B)[p, j] = b[p * ldb + j]}). Each stored row of B is read once, sequentially, and
     * cut into NR-float pieces, one per sliver; the sliver stride is padded so that these write
     * streams do not all fall in one L1 set.
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    static void packBRows(float[] b, int bOff, int ldb, int j0, int cols, int p0, int kc,
                          int pFrom, int pTo, float[] bp) {
        int stride = bSliverStride(kc);
        int full = cols / NR;
        int slivers = (cols + NR - 1) / NR;
        for (int p = pFrom; p < pTo; p++) {
            int src = bOff + (p0 + p) * ldb + j0;
            int dst = p * NR;
            for (int s = 0; s < full; s++) {
                int x = src + s * NR;
                int d = dst + s * stride;
                FloatVector.fromArray(SPECIES, b, x).intoArray(bp, d);
                FloatVector.fromArray(SPECIES, b, x + LANES).intoArray(bp, d + LANES);
            }
            if (full < slivers) {
                int d = dst + full * stride;
                int valid = cols - full * NR;
                for (int j = 0; j < NR; j++) {
                    bp[d + j] = j < valid ? b[src + full * NR + j] : 0f;
                }
            }
        }
    }

    /** Floats from one packed B sliver to the next: {@code kc * NR} plus one cache line of padding. */
    static int bSliverStride(int kc) {
        return kc * NR + A_PAD;
    }
}
