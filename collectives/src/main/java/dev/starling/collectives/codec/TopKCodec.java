package dev.starling.collectives.codec;

import dev.starling.collectives.CollectivesException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Top-k sparsification: keeps the {@code k = ceil(fraction * count)} largest magnitudes (ties broken by the lower
 * index, so the choice is deterministic) and zeroes the rest; error feedback carries what was dropped.
 *
 * <p>Payload: one mode byte, then the k indices in increasing order, then k float32 values. Mode 0 writes the
 * indices as LEB128 varints of the gap {@code idx[j] - idx[j-1] - 1} (the first as itself); mode 1 writes a bitmap
 * of {@code ceil(count/8)} bytes, LSB first, padding bits zero. The encoder picks the smaller. The header's codec
 * parameter is k.
 *
 * <p>Immutable; any thread. {@link #encode} allocates two scratch copies of its input's magnitudes for the
 * selection (quickselect, expected linear time).
 */
public final class TopKCodec implements UpdateCodec {
    private static final int MODE_VARINT = 0;
    private static final int MODE_BITMAP = 1;

    private final double fraction;

    /**
     * Creates a codec.
     *
     * @param fraction share of elements kept, in (0, 1]
     * @throws CollectivesException INTERNAL when the fraction is out of range
     */
    public TopKCodec(final double fraction) {
        if (!(fraction > 0.0 && fraction <= 1.0)) {
            throw CollectivesException.internal("top-k fraction must be in (0, 1], was " + fraction);
        }
        this.fraction = fraction;
    }

    @Override
    public CodecId id() {
        return CodecId.TOP_K;
    }

    @Override
    public int headerParameter(final int count) {
        if (count == 0) {
            return 0;
        }
        long k = (long) Math.ceil(fraction * count);
        return (int) Math.max(1, Math.min(count, k));
    }

    @Override
    public int maxPayloadLength(final int count) {
        return Math.toIntExact(1L + (count + 7L) / 8 + 4L * headerParameter(count));
    }

    @Override
    public int encode(final float[] src, final int off, final int count, final MemorySegment dst, final long dstOff) {
        CodecChecks.requireFiniteInput(src, off, count);
        int k = headerParameter(count);
        int[] picked = select(src, off, count, k);
        long varintBytes = 0;
        int prev = -1;
        for (int idx : picked) {
            varintBytes += varintLength(idx - prev - 1);
            prev = idx;
        }
        long bitmapBytes = (count + 7L) / 8;
        long at = dstOff + 1;
        if (varintBytes <= bitmapBytes) {
            dst.set(WireLayouts.BYTE, dstOff, (byte) MODE_VARINT);
            prev = -1;
            for (int idx : picked) {
                at = writeVarint(dst, at, idx - prev - 1);
                prev = idx;
            }
        } else {
            dst.set(WireLayouts.BYTE, dstOff, (byte) MODE_BITMAP);
            dst.asSlice(at, bitmapBytes).fill((byte) 0);
            for (int idx : picked) {
                long b = at + (idx >>> 3);
                dst.set(WireLayouts.BYTE, b, (byte) (dst.get(WireLayouts.BYTE, b) | (1 << (idx & 7))));
            }
            at += bitmapBytes;
        }
        for (int idx : picked) {
            dst.set(WireLayouts.FLOAT, at, src[off + idx]);
            at += 4;
        }
        return (int) (at - dstOff);
    }

    /** The k indices (relative to off) of the largest magnitudes, increasing; ties go to the lower index. */
    private static int[] select(final float[] src, final int off, final int count, final int k) {
        int[] picked = new int[k];
        if (k == 0) {
            return picked;
        }
        float[] mags = new float[count];
        for (int i = 0; i < count; i++) {
            mags[i] = Math.abs(src[off + i]);
        }
        float threshold = kthSmallest(mags.clone(), count - k);
        int above = 0;
        for (float m : mags) {
            if (m > threshold) {
                above++;
            }
        }
        int equalsLeft = k - above;
        int n = 0;
        for (int i = 0; i < count && n < k; i++) {
            if (mags[i] > threshold) {
                picked[n++] = i;
            } else if (mags[i] == threshold && equalsLeft > 0) {
                picked[n++] = i;
                equalsLeft--;
            }
        }
        return picked;
    }

    /** Quickselect (Hoare partition, median-of-three pivot): the k-th smallest (0-based) of finite values. */
    static float kthSmallest(final float[] a, final int k) {
        int lo = 0;
        int hi = a.length - 1;
        while (lo < hi) {
            float x = a[lo];
            float y = a[(lo + hi) >>> 1];
            float z = a[hi];
            float pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    float t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return a[k];
            }
        }
        return a[k];
    }

    private static int varintLength(final int value) {
        int len = 1;
        for (int v = value >>> 7; v != 0; v >>>= 7) {
            len++;
        }
        return len;
    }

    private static long writeVarint(final MemorySegment dst, final long at, final int value) {
        long p = at;
        int v = value;
        while ((v & ~0x7F) != 0) {
            dst.set(WireLayouts.BYTE, p++, (byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        dst.set(WireLayouts.BYTE, p++, (byte) v);
        return p;
    }

    @Override
    public void decode(final MemorySegment src, final long srcOff, final int payloadLength, final int count,
                       final int parameter, final float[] dst, final int dstOff) {
        int k = parameter;
        if (k < 0 || k > count) {
            throw CollectivesException.badPeer("TOP_K k=" + Integer.toUnsignedString(k) + " for " + count
                + " elements");
        }
        long indexBytes = (long) payloadLength - 1 - 4L * k;
        if (indexBytes < 0) {
            throw CollectivesException.badPeer("TOP_K payload of " + payloadLength + " bytes too short for k=" + k);
        }
        CodecChecks.requireDestination(dst, dstOff, count);
        int mode = src.get(WireLayouts.BYTE, srcOff);
        int[] indices = mode == MODE_VARINT ? readVarints(src, srcOff + 1, indexBytes, k, count)
            : mode == MODE_BITMAP ? readBitmap(src, srcOff + 1, indexBytes, k, count)
            : null;
        if (indices == null) {
            throw CollectivesException.badPeer("TOP_K unknown index mode " + mode);
        }
        Arrays.fill(dst, dstOff, dstOff + count, 0f);
        long values = srcOff + 1 + indexBytes;
        for (int j = 0; j < k; j++) {
            float v = src.get(WireLayouts.FLOAT, values + 4L * j);
            dst[dstOff + indices[j]] = CodecChecks.requireFiniteDecoded(CodecId.TOP_K, v, indices[j]);
        }
    }

    private static int[] readVarints(final MemorySegment src, final long start, final long length, final int k,
                                     final int count) {
        // Each varint takes at least one byte, so k > length is a lie we can reject before allocating.
        if (k > length) {
            throw CollectivesException.badPeer("TOP_K " + k + " varint indices cannot fit in " + length + " bytes");
        }
        int[] indices = new int[k];
        long p = start;
        long end = start + length;
        long prev = -1;
        for (int j = 0; j < k; j++) {
            long value = 0;
            int shift = 0;
            while (true) {
                if (p >= end || shift > 28) {
                    throw CollectivesException.badPeer("TOP_K varint index " + j + " truncated or too long");
                }
                int b = src.get(WireLayouts.BYTE, p++) & 0xFF;
                value |= (long) (b & 0x7F) << shift;
                shift += 7;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            long idx = prev + 1 + value;
            if (idx >= count) {
                throw CollectivesException.badPeer("TOP_K index " + idx + " beyond count " + count);
            }
            indices[j] = (int) idx;
            prev = idx;
        }
        if (p != end) {
            throw CollectivesException.badPeer("TOP_K " + (end - p) + " stray bytes after the varint indices");
        }
        return indices;
    }

    private static int[] readBitmap(final MemorySegment src, final long start, final long length, final int k,
                                    final int count) {
        if (length != (count + 7L) / 8) {
            throw CollectivesException.badPeer("TOP_K bitmap of " + length + " bytes for " + count + " elements");
        }
        int ones = 0;
        for (long i = 0; i < length; i++) {
            ones += Integer.bitCount(src.get(WireLayouts.BYTE, start + i) & 0xFF);
        }
        if (ones != k) {
            throw CollectivesException.badPeer("TOP_K bitmap has " + ones + " bits set, header says k=" + k);
        }
        int[] indices = new int[k];
        int n = 0;
        for (int i = 0; i < length * 8 && n < k; i++) {
            if ((src.get(WireLayouts.BYTE, start + (i >>> 3)) & (1 << (i & 7))) != 0) {
                if (i >= count) {
                    throw CollectivesException.badPeer("TOP_K bitmap padding bit " + i + " set");
                }
                indices[n++] = i;
            }
        }
        return indices;
    }
}
