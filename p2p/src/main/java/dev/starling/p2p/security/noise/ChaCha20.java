package dev.starling.p2p.security.noise;

import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The ChaCha20 stream cipher of RFC 8439 section 2.4 (32-bit block counter, 96-bit nonce), computing
 * {@link #LANES} blocks at once with the Vector API: lane j of state vector i holds word i of block j, so the 20
 * rounds are plain lane-wise adds, XORs and rotations (8 blocks per step with AVX2). The key stream is then
 * transposed into block order (scalar stores: twice as fast here as the Vector API's gathers) and XORed onto the
 * text a vector at a time. {@link #blockScalar} is the one-block reference the tests compare against.
 *
 * <p>The rotations are written out inline: with a helper method for "xor then rotate" C2 stopped inlining it in
 * the large round loop ("callee uses too much stack") and boxed every vector, 10x slower.
 *
 * <p>Streaming: {@link #reset} with a nonce and a starting counter, then {@link #xor} parts of any length in order.
 * Not thread-safe.
 */
final class ChaCha20 {
    private static final VectorSpecies<Integer> WORDS = IntVector.SPECIES_PREFERRED;
    /** How many 64-byte blocks one step computes (the preferred vector's int lanes). */
    static final int LANES = WORDS.length();
    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_PREFERRED;
    private static final int BATCH = 64 * LANES;
    private static final int SIGMA0 = 0x61707865;
    private static final int SIGMA1 = 0x3320646e;
    private static final int SIGMA2 = 0x79622d32;
    private static final int SIGMA3 = 0x6b206574;
    private static final IntVector IOTA = IntVector.fromArray(WORDS, iota(), 0);

    private static final java.lang.invoke.VarHandle LE32 = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
            int[].class, ByteOrder.LITTLE_ENDIAN);
    private final int[] key = new int[8];
    private final int[] wordMajor = new int[16 * LANES];
    private final byte[] keystream = new byte[BATCH];
    private int nonce0;
    private int nonce1;
    private int nonce2;
    private int counter;
    private int used = BATCH;

    /**
     * Creates the cipher for one key.
     *
     * @param key32 the 32-byte key
     */
    ChaCha20(byte[] key32) {
        if (key32.length != 32) throw new IllegalArgumentException("ChaCha20 key must be 32 bytes");
        for (int i = 0; i < 8; i++) {
            key[i] = le32(key32, 4 * i);
        }
    }

    private static int[] iota() {
        int[] a = new int[LANES];
        for (int i = 0; i < LANES; i++) {
            a[i] = i;
        }
        return a;
    }

    /**
     * Starts a new key stream.
     *
     * @param nonce12       the 12-byte nonce
     * @param initialCounter the counter of the first block (0 for the AEAD's Poly1305 key, then 1)
     */
    void reset(byte[] nonce12, int initialCounter) {
        nonce0 = le32(nonce12, 0);
        nonce1 = le32(nonce12, 4);
        nonce2 = le32(nonce12, 8);
        counter = initialCounter;
        used = BATCH;
    }

    /**
     * XORs the next {@code len} key stream bytes onto {@code in} into {@code out} (in place is fine).
     *
     * @param in     source array
     * @param off    where the source starts
     * @param len    how many bytes
     * @param out    destination array
     * @param outOff where the result goes
     */
    void xor(byte[] in, int off, int len, byte[] out, int outOff) {
        while (len > 0) {
            if (used == BATCH) {
                nextBatch();
            }
            int n = Math.min(len, BATCH - used);
            xorKeystream(in, off, out, outOff, n);
            used += n;
            off += n;
            outOff += n;
            len -= n;
        }
    }

    private void xorKeystream(byte[] in, int off, byte[] out, int outOff, int n) {
        int i = 0;
        int step = BYTES.length();
        for (; i <= n - step; i += step) {
            ByteVector k = ByteVector.fromArray(BYTES, keystream, used + i);
            ByteVector.fromArray(BYTES, in, off + i).lanewise(VectorOperators.XOR, k).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = (byte) (in[off + i] ^ keystream[used + i]);
        }
    }

    /** Computes the next {@link #LANES} blocks into {@link #keystream} (block order, little endian). */
    private void nextBatch() {
        IntVector x0 = IntVector.broadcast(WORDS, SIGMA0);
        IntVector x1 = IntVector.broadcast(WORDS, SIGMA1);
        IntVector x2 = IntVector.broadcast(WORDS, SIGMA2);
        IntVector x3 = IntVector.broadcast(WORDS, SIGMA3);
        IntVector x4 = IntVector.broadcast(WORDS, key[0]);
        IntVector x5 = IntVector.broadcast(WORDS, key[1]);
        IntVector x6 = IntVector.broadcast(WORDS, key[2]);
        IntVector x7 = IntVector.broadcast(WORDS, key[3]);
        IntVector x8 = IntVector.broadcast(WORDS, key[4]);
        IntVector x9 = IntVector.broadcast(WORDS, key[5]);
        IntVector x10 = IntVector.broadcast(WORDS, key[6]);
        IntVector x11 = IntVector.broadcast(WORDS, key[7]);
        IntVector x12 = IOTA.add(counter);
        IntVector x13 = IntVector.broadcast(WORDS, nonce0);
        IntVector x14 = IntVector.broadcast(WORDS, nonce1);
        IntVector x15 = IntVector.broadcast(WORDS, nonce2);
        IntVector c12 = x12;
        for (int round = 0; round < 10; round++) {
            // column round: quarter rounds on (0,4,8,12) (1,5,9,13) (2,6,10,14) (3,7,11,15)
            x0 = x0.add(x4); x12 = x12.lanewise(VectorOperators.XOR, x0).lanewise(VectorOperators.ROL, 16);
            x1 = x1.add(x5); x13 = x13.lanewise(VectorOperators.XOR, x1).lanewise(VectorOperators.ROL, 16);
            x2 = x2.add(x6); x14 = x14.lanewise(VectorOperators.XOR, x2).lanewise(VectorOperators.ROL, 16);
            x3 = x3.add(x7); x15 = x15.lanewise(VectorOperators.XOR, x3).lanewise(VectorOperators.ROL, 16);
            x8 = x8.add(x12); x4 = x4.lanewise(VectorOperators.XOR, x8).lanewise(VectorOperators.ROL, 12);
            x9 = x9.add(x13); x5 = x5.lanewise(VectorOperators.XOR, x9).lanewise(VectorOperators.ROL, 12);
            x10 = x10.add(x14); x6 = x6.lanewise(VectorOperators.XOR, x10).lanewise(VectorOperators.ROL, 12);
            x11 = x11.add(x15); x7 = x7.lanewise(VectorOperators.XOR, x11).lanewise(VectorOperators.ROL, 12);
            x0 = x0.add(x4); x12 = x12.lanewise(VectorOperators.XOR, x0).lanewise(VectorOperators.ROL, 8);
            x1 = x1.add(x5); x13 = x13.lanewise(VectorOperators.XOR, x1).lanewise(VectorOperators.ROL, 8);
            x2 = x2.add(x6); x14 = x14.lanewise(VectorOperators.XOR, x2).lanewise(VectorOperators.ROL, 8);
            x3 = x3.add(x7); x15 = x15.lanewise(VectorOperators.XOR, x3).lanewise(VectorOperators.ROL, 8);
            x8 = x8.add(x12); x4 = x4.lanewise(VectorOperators.XOR, x8).lanewise(VectorOperators.ROL, 7);
            x9 = x9.add(x13); x5 = x5.lanewise(VectorOperators.XOR, x9).lanewise(VectorOperators.ROL, 7);
            x10 = x10.add(x14); x6 = x6.lanewise(VectorOperators.XOR, x10).lanewise(VectorOperators.ROL, 7);
            x11 = x11.add(x15); x7 = x7.lanewise(VectorOperators.XOR, x11).lanewise(VectorOperators.ROL, 7);
            // diagonal round: (0,5,10,15) (1,6,11,12) (2,7,8,13) (3,4,9,14)
            x0 = x0.add(x5); x15 = x15.lanewise(VectorOperators.XOR, x0).lanewise(VectorOperators.ROL, 16);
            x1 = x1.add(x6); x12 = x12.lanewise(VectorOperators.XOR, x1).lanewise(VectorOperators.ROL, 16);
            x2 = x2.add(x7); x13 = x13.lanewise(VectorOperators.XOR, x2).lanewise(VectorOperators.ROL, 16);
            x3 = x3.add(x4); x14 = x14.lanewise(VectorOperators.XOR, x3).lanewise(VectorOperators.ROL, 16);
            x10 = x10.add(x15); x5 = x5.lanewise(VectorOperators.XOR, x10).lanewise(VectorOperators.ROL, 12);
            x11 = x11.add(x12); x6 = x6.lanewise(VectorOperators.XOR, x11).lanewise(VectorOperators.ROL, 12);
            x8 = x8.add(x13); x7 = x7.lanewise(VectorOperators.XOR, x8).lanewise(VectorOperators.ROL, 12);
            x9 = x9.add(x14); x4 = x4.lanewise(VectorOperators.XOR, x9).lanewise(VectorOperators.ROL, 12);
            x0 = x0.add(x5); x15 = x15.lanewise(VectorOperators.XOR, x0).lanewise(VectorOperators.ROL, 8);
            x1 = x1.add(x6); x12 = x12.lanewise(VectorOperators.XOR, x1).lanewise(VectorOperators.ROL, 8);
            x2 = x2.add(x7); x13 = x13.lanewise(VectorOperators.XOR, x2).lanewise(VectorOperators.ROL, 8);
            x3 = x3.add(x4); x14 = x14.lanewise(VectorOperators.XOR, x3).lanewise(VectorOperators.ROL, 8);
            x10 = x10.add(x15); x5 = x5.lanewise(VectorOperators.XOR, x10).lanewise(VectorOperators.ROL, 7);
            x11 = x11.add(x12); x6 = x6.lanewise(VectorOperators.XOR, x11).lanewise(VectorOperators.ROL, 7);
            x8 = x8.add(x13); x7 = x7.lanewise(VectorOperators.XOR, x8).lanewise(VectorOperators.ROL, 7);
            x9 = x9.add(x14); x4 = x4.lanewise(VectorOperators.XOR, x9).lanewise(VectorOperators.ROL, 7);
        }
        int[] w = wordMajor;
        x0.add(SIGMA0).intoArray(w, 0);
        x1.add(SIGMA1).intoArray(w, LANES);
        x2.add(SIGMA2).intoArray(w, 2 * LANES);
        x3.add(SIGMA3).intoArray(w, 3 * LANES);
        x4.add(key[0]).intoArray(w, 4 * LANES);
        x5.add(key[1]).intoArray(w, 5 * LANES);
        x6.add(key[2]).intoArray(w, 6 * LANES);
        x7.add(key[3]).intoArray(w, 7 * LANES);
        x8.add(key[4]).intoArray(w, 8 * LANES);
        x9.add(key[5]).intoArray(w, 9 * LANES);
        x10.add(key[6]).intoArray(w, 10 * LANES);
        x11.add(key[7]).intoArray(w, 11 * LANES);
        x12.add(c12).intoArray(w, 12 * LANES);
        x13.add(nonce0).intoArray(w, 13 * LANES);
        x14.add(nonce1).intoArray(w, 14 * LANES);
        x15.add(nonce2).intoArray(w, 15 * LANES);
        transpose();
        counter += LANES;
        used = 0;
    }

    /** One step of a quarter round: {@code (d ^ a) <<< bits}. */
    private static IntVector mix(IntVector d, IntVector a, int bits) {
        IntVector x = d.lanewise(VectorOperators.XOR, a);
        return x.lanewise(VectorOperators.LSHL, bits).or(x.lanewise(VectorOperators.LSHR, 32 - bits));
    }

    /** Word-major scratch (word i of block j at i * LANES + j) to block-order little-endian key stream bytes. */
    private void transpose() {
        for (int block = 0; block < LANES; block++) {
            for (int word = 0; word < 16; word++) {
                LE32.set(keystream, (block * 16 + word) * 4, wordMajor[word * LANES + block]);
            }
        }
    }

    /**
     * One block with plain int arithmetic: the reference the vector path is tested against.
     *
     * @param key32   the key
     * @param nonce12 the nonce
     * @param counter the block counter
     * @param out     64 bytes of key stream
     */
    static void blockScalar(byte[] key32, byte[] nonce12, int counter, byte[] out) {
        int[] s = new int[16];
        s[0] = SIGMA0;
        s[1] = SIGMA1;
        s[2] = SIGMA2;
        s[3] = SIGMA3;
        for (int i = 0; i < 8; i++) {
            s[4 + i] = le32(key32, 4 * i);
        }
        s[12] = counter;
        for (int i = 0; i < 3; i++) {
            s[13 + i] = le32(nonce12, 4 * i);
        }
        int[] x = s.clone();
        for (int round = 0; round < 10; round++) {
            quarter(x, 0, 4, 8, 12);
            quarter(x, 1, 5, 9, 13);
            quarter(x, 2, 6, 10, 14);
            quarter(x, 3, 7, 11, 15);
            quarter(x, 0, 5, 10, 15);
            quarter(x, 1, 6, 11, 12);
            quarter(x, 2, 7, 8, 13);
            quarter(x, 3, 4, 9, 14);
        }
        for (int i = 0; i < 16; i++) {
            int v = x[i] + s[i];
            for (int b = 0; b < 4; b++) {
                out[4 * i + b] = (byte) (v >>> (8 * b));
            }
        }
    }

    private static void quarter(int[] x, int a, int b, int c, int d) {
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 16);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 12);
        x[a] += x[b];
        x[d] = Integer.rotateLeft(x[d] ^ x[a], 8);
        x[c] += x[d];
        x[b] = Integer.rotateLeft(x[b] ^ x[c], 7);
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }
}
