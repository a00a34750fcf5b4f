package dev.starling.tensor.cpu;

/**
 * Single-precision matrix multiply over row-major {@code float[]} storage:
 * {@code C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C}, where {@code op(X)} is {@code X}
 * or its transpose. Leading dimensions are row strides in elements.
 *
 * <p>{@link #reference} is the plain scalar definition that every fast kernel is tested against.
 * {@link #sgemm} is the fast path, built the way BLIS and GotoBLAS build theirs:
 * <ul>
 *   <li>{@link SgemmKernel}: the hot loop. A 4 x 2-vector register tile (4 x 16 on AVX2, 4 x 32 on
 *       AVX-512; the width comes from {@code FloatVector.SPECIES_PREFERRED} at run time) kept in 8
 *       accumulators, updated with {@code FloatVector.fma} from packed, zero-padded slivers of B and
 *       either packed slivers of a transposed A or the rows of an untransposed A read in place.
 *       Edge tiles run the same kernel into a scratch tile and copy the valid corner.</li>
 *   <li>{@link SgemmDriver}: cache blocking (kc up to 1024, so the model's k of 256 to 1024 is one
 *       block and C is written once; A blocks of 256 KiB per thread for L2; a shared packed B panel
 *       in L3), the transposes handled in packing, beta applied on the first k block, and the work
 *       split over {@link ParallelFor} in dynamically claimed row units.</li>
 *   <li>{@link ParallelFor}: spin-then-park hand-off with dynamically claimed tasks; the driver is the
 *       task object and its buffers live with the team, so a steady-state call allocates nothing
 *       (tested with {@code ThreadMXBean.getThreadAllocatedBytes}).</li>
 * </ul>
 * Measured against OpenBLAS with {@code starling bench gemm}. What did not work, for the next
 * reader: a 6 x 2-vector tile (12 accumulators, the textbook AVX2 shape) ran at half speed because
 * C2 hoisted the A broadcasts, ran out of the 16 vector registers and spilled an accumulator; and
 * fusing alpha/beta/C loads into the kernel's epilogue pushed C2 past its inlining node budget, so
 * vectors were boxed and every call allocated; reading a transposed A in place (stride lda per k
 * step) instead of packing it measured about 30% slower. Weak spot: the dW shapes (A transposed,
 * m = 256) stay near 0.6 to 0.8 of OpenBLAS single-threaded, where packing A and B is a large
 * share of the work.
 *
 * <p>Thread: {@link #reference} any; {@link #sgemm} the owner thread of its {@link ParallelFor}. The
 * arrays must not be written concurrently by others. Throws nothing beyond the JVM's bounds checks.
 */
public final class Gemm {
    private Gemm() {
    }

    /**
     * The scalar reference: a triple loop accumulating in {@code double}-free float order
     * {@code p = 0..k-1}.
     *
     * @param transA whether A is stored as {@code [k,m]}
     * @param transB whether B is stored as {@code [n,k]}
     * @param m      rows of C
     * @param n      columns of C
     * @param k      the inner dimension
     * @param alpha  scale of the product
     * @param a      A's storage
     * @param aOff   A's first element
     * @param lda    A's row stride
     * @param b      B's storage
     * @param bOff   B's first element
     * @param ldb    B's row stride
     * @param beta   scale of the old C (0 ignores C's old contents, NaN included)
     * @param c      C's storage
     * @param cOff   C's first element
     * @param ldc    C's row stride
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void reference(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                 float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                 float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0f;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    sum += av * bv;
                }
                int ci = cOff + i * ldc + j;
                c[ci] = beta == 0f ? alpha * sum : alpha * sum + beta * c[ci];
            }
        }
    }

    /**
     * The fast entry point every layer calls, split across {@code pool}'s threads. Same contract
     * and parameter order as {@link #reference}, with the worker team first. Runs the packed,
     * cache-blocked Vector API kernel ({@link SgemmDriver}, {@link SgemmKernel}); a steady-state call
     * allocates nothing (the packing buffers are kept with {@code pool} and grow to the largest call).
     *
     * @param pool   the worker team; its owner thread is the caller
     * @param transA whether A is stored as {@code [k,m]}
     * @param transB whether B is stored as {@code [n,k]}
     * @param m      rows of C
     * @param n      columns of C
     * @param k      the inner dimension
     * @param alpha  scale of the product
     * @param a      A's storage
     * @param aOff   A's first element
     * @param lda    A's row stride
     * @param b      B's storage
     * @param bOff   B's first element
     * @param ldb    B's row stride
     * @param beta   scale of the old C (0 ignores C's old contents)
     * @param c      C's storage
     * @param cOff   C's first element
     * @param ldc    C's row stride
     * @throws ArrayIndexOutOfBoundsException if an operand does not fit in its array
     */
    @SuppressWarnings("checkstyle:ParameterNumber")
    public static void sgemm(ParallelFor pool, boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                             float beta, float[] c, int cOff, int ldc) {
        if (m <= 0 || n <= 0) {
            return;
        }
        if (k <= 0) {
            reference(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        SgemmDriver driver = pool.sgemmDriver;
        if (driver == null) {
            driver = new SgemmDriver(pool);
            pool.sgemmDriver = driver;
        }
        driver.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }
}
