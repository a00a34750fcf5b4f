package dev.starling.tensor.cpu;

import static dev.starling.tensor.cpu.SgemmKernel.ADD;
import static dev.starling.tensor.cpu.SgemmKernel.MR;
import static dev.starling.tensor.cpu.SgemmKernel.NR;
import static dev.starling.tensor.cpu.SgemmKernel.OVERWRITE;
import static dev.starling.tensor.cpu.SgemmKernel.SCALE;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Cache blocking and threading for {@link Gemm#sgemm}, in the loop order of BLIS:
 * <pre>
 *   for jc in n by NC:                 B panel  kc x nc, packed once, shared (L3)
 *     for pc in k by KC:               k split into near-equal blocks of at most KC
 *       pool: pack the B panel          chunks of 32 rows of B (4 slivers if B is transposed), claimed
 *                                       dynamically (atomic counter)
 *       pool: for each row unit (claimed dynamically, at most 128 rows, A block at most 256 KiB):
 *         A transposed: pack rows x kc  per worker, stays in L2
 *         A as is: read in place        4 row streams, no packing (only a partial last sliver is packed)
 *         for jr in nc by NR:           one B sliver, kc x NR (L1 at kc 256, L2 at kc 1024)
 *           for ir in rows by MR:       micro-kernel, MR x NR tile of C in registers
 * </pre>
 * Row units are near-equal runs of MR-row slivers whose count is a multiple of the team size,
 * so the split is balanced when the cores are idle and self-balancing when another process
 * steals one. The first k block applies {@code beta} (or ignores C when it is 0); later ones add.
 * Full tiles with alpha 1 and beta 0 or 1 are written (or accumulated) straight into C; all others
 * go through a per-worker scratch tile.
 *
 * <p>One instance belongs to one {@link ParallelFor} and is reused by every call on it: the
 * call's arguments live in plain fields published by the team's hand-off, the packing buffers
 * grow to the largest call seen and are then reused, and the instance is itself the task the team
 * runs, so a steady-state call allocates nothing. Thread: the team's owner calls {@link #sgemm};
 * workers only run {@link #accept}.
 */
final class SgemmDriver implements IntConsumer {
    /**
     * Largest k block. The model's k is 256 to 1024, so this keeps every one of its matmuls in a
     * single block: C is then written once, with no read-add-write passes. The B sliver (64 KiB at
     * kc 1024 with AVX2) then streams from L2 rather than sitting in L1; on this machine (Zen 3)
     * that measured 5 to 15% faster than kc 256 or 512 for k = 768 and 1024, single-threaded.
     */
    static final int KC = 1024;
    /** Packed A per worker, in floats: rows x kc of it (256 KiB) stays in half of a 512 KiB L2. */
    static final int A_BLOCK_FLOATS = 65536;
    /** Rows per unit of work at most: small enough that a worker slowed by another process is caught up. */
    static final int MAX_UNIT_ROWS = 128;
    /** B slivers per unit of packing work when B is transposed. */
    private static final int PACK_B_SLIVERS = 4;
    /** Rows of B per unit of packing work when B is not transposed. */
    private static final int PACK_B_ROWS = 32;
    /** Largest column panel: KC x NC floats of packed B is 16 MiB, shared by the team in L3. */
    static final int NC = 4096;
    /** Below this many multiply-adds the team hand-off costs more than it saves. */
    private static final long PARALLEL_MIN_FLOPS = 1L << 18;

    private static final int PACK_B = 0;
    private static final int COMPUTE = 1;

    private final ParallelFor pool;
    private final float[][] packedA;
    private final float[][] tiles;
    private final AtomicInteger nextUnit = new AtomicInteger();
    private float[] packedB = new float[0];

    // The current call, written by the owner before each hand-off.
    private boolean transA;
    private boolean transB;
    private int m;
    private float alpha;
    private float[] a;
    private int aOff;
    private int lda;
    private float[] b;
    private int bOff;
    private int ldb;
    private float beta;
    private float[] c;
    private int cOff;
    private int ldc;
    // The current block and phase.
    private int phase;
    private int team;
    private int jc;
    private int nb;
    private int pc;
    private int kb;
    private int mode;
    private int units;

    SgemmDriver(ParallelFor pool) {
        this.pool = pool;
        this.packedA = new float[pool.threads()][0];
        this.tiles = new float[pool.threads()][MR * NR];
    }

    /** Same contract as {@link Gemm#sgemm}; {@code m, n, k >= 1}. Called by the team's owner. */
    @SuppressWarnings({"checkstyle:ParameterNumber", "checkstyle:HiddenField"})
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
               float beta, float[] c, int cOff, int ldc) {
        this.transA = transA;
        this.transB = transB;
        this.m = m;
        this.alpha = alpha;
        this.a = a;
        this.aOff = aOff;
        this.lda = lda;
        this.b = b;
        this.bOff = bOff;
        this.ldb = ldb;
        this.beta = beta;
        this.c = c;
        this.cOff = cOff;
        this.ldc = ldc;
        long flops = (long) m * n * k;
        team = flops < PARALLEL_MIN_FLOPS ? 1 : pool.threads();
        int kBlocks = (k + KC - 1) / KC;
        int maxKb = ceilDiv(k, kBlocks);
        int rowSlivers = (m + MR - 1) / MR;
        int unitRows = Math.min(MAX_UNIT_ROWS, A_BLOCK_FLOATS / maxKb);
        int unitCount = ceilDiv(rowSlivers, Math.max(1, unitRows / MR));
        units = Math.min(rowSlivers, ceilDiv(unitCount, team) * team);
        int maxUnitRows = ceilDiv(rowSlivers, units) * MR;
        int maxNb = Math.min(n, NC);
        ensureCapacity(maxUnitRows / MR * SgemmKernel.aSliverStride(maxKb),
                ceilDiv(maxNb, NR) * SgemmKernel.bSliverStride(maxKb));
        try {
            for (jc = 0; jc < n; jc += NC) {
                nb = Math.min(NC, n - jc);
                for (int blk = 0; blk < kBlocks; blk++) {
                    pc = (int) ((long) k * blk / kBlocks);
                    kb = (int) ((long) k * (blk + 1) / kBlocks) - pc;
                    mode = blk > 0 ? ADD : beta == 0f ? OVERWRITE : SCALE;
                    phase = PACK_B;
                    nextUnit.set(0);
                    runOnTeam();
                    phase = COMPUTE;
                    nextUnit.set(0);
                    runOnTeam();
                }
            }
        } finally {
            this.a = null;
            this.b = null;
            this.c = null;
        }
    }

    private void runOnTeam() {
        if (team == 1) {
            accept(0);
        } else {
            pool.run(team, this);
        }
    }

    private void ensureCapacity(int aFloats, int bFloats) {
        if (packedB.length < bFloats) {
            packedB = new float[bFloats];
        }
        for (int t = 0; t < packedA.length; t++) {
            if (packedA[t].length < aFloats) {
                packedA[t] = new float[aFloats];
            }
        }
    }

    /** Runs worker {@code worker}'s share of the current phase; called by the team. */
    @Override
    public void accept(int worker) {
        if (phase == PACK_B) {
            int chunk;
            if (transB) {
                int slivers = ceilDiv(nb, NR);
                while ((chunk = nextUnit.getAndIncrement()) * PACK_B_SLIVERS < slivers) {
                    int s0 = chunk * PACK_B_SLIVERS;
                    SgemmKernel.packBTransposed(b, bOff, ldb, jc, nb, pc, kb, s0,
                            Math.min(slivers, s0 + PACK_B_SLIVERS), packedB);
                }
            } else {
                while ((chunk = nextUnit.getAndIncrement()) * PACK_B_ROWS < kb) {
                    int p0 = chunk * PACK_B_ROWS;
                    SgemmKernel.packBRows(b, bOff, ldb, jc, nb, pc, kb, p0, Math.min(kb, p0 + PACK_B_ROWS), packedB);
                }
            }
            return;
        }
        int rowSlivers = (m + MR - 1) / MR;
        int unit;
        while ((unit = nextUnit.getAndIncrement()) < units) {
            int first = (int) ((long) rowSlivers * unit / units) * MR;
            int last = Math.min(m, (int) ((long) rowSlivers * (unit + 1) / units) * MR);
            computeRows(worker, first, last - first);
        }
    }

    private void computeRows(int worker, int i0, int rows) {
        float[] ap = packedA[worker];
        float[] tile = tiles[worker];
        float[] bp = packedB;
        // A not transposed: full MR-row slivers are read in place; only a partial last sliver is packed
        // (into the first sliver of this worker's buffer). A transposed: the whole block is packed.
        boolean inPlace = !transA;
        int fullSlivers = rows / MR;
        if (inPlace) {
            if (fullSlivers * MR < rows) {
                SgemmKernel.packA(false, a, aOff, lda, i0 + fullSlivers * MR, rows - fullSlivers * MR, pc, kb, ap);
            }
        } else {
            SgemmKernel.packA(true, a, aOff, lda, i0, rows, pc, kb, ap);
        }
        int colSlivers = ceilDiv(nb, NR);
        int rowSlivers = ceilDiv(rows, MR);
        int aStride = SgemmKernel.aSliverStride(kb);
        int bStride = SgemmKernel.bSliverStride(kb);
        // Full tiles go straight to C when alpha is 1 and C is overwritten or added to (beta 1, or a
        // later k block); the rest are scaled through the tile.
        boolean direct = alpha == 1f && (mode != SCALE || beta == 1f);
        boolean accumulate = mode != OVERWRITE;
        for (int js = 0; js < colSlivers; js++) {
            int cols = Math.min(NR, nb - js * NR);
            int bIdx = js * bStride;
            int cCol = cOff + jc + js * NR;
            for (int is = 0; is < rowSlivers; is++) {
                int r = Math.min(MR, rows - is * MR);
                int cIdx = cCol + (i0 + is * MR) * ldc;
                boolean full = r == MR && cols == NR && direct;
                float[] out = full ? c : tile;
                int outIdx = full ? cIdx : 0;
                int ldOut = full ? ldc : NR;
                boolean acc = full && accumulate;
                if (inPlace && is < fullSlivers) {
                    int aIdx = aOff + (i0 + is * MR) * lda + pc;
                    SgemmKernel.kernelRows(kb, a, aIdx, lda, bp, bIdx, out, outIdx, ldOut, acc);
                } else {
                    int aIdx = inPlace ? 0 : is * aStride;
                    SgemmKernel.kernel(kb, ap, aIdx, bp, bIdx, out, outIdx, ldOut, acc);
                }
                if (!full) {
                    SgemmKernel.applyTile(tile, c, cIdx, ldc, r, cols, alpha, beta, mode);
                }
            }
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }
}
