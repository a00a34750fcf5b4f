package dev.starling.collectives.codec;

import dev.starling.collectives.CollectivesException;

/** Shared argument and payload checks for the codecs. */
final class CodecChecks {
    private CodecChecks() {
    }

    static void requireFiniteInput(final float[] src, final int off, final int count) {
        if (off < 0 || count < 0 || off > src.length - count) {
            throw CollectivesException.internal("range [" + off + ", +" + count + ") outside array of " + src.length);
        }
        for (int i = off; i < off + count; i++) {
            if (!Float.isFinite(src[i])) {
                throw CollectivesException.internal("non-finite value " + src[i] + " at element " + i);
            }
        }
    }

    static void requirePayloadLength(final CodecId id, final long expected, final int actual, final int count) {
        if (expected != actual) {
            throw CollectivesException.badPeer(id + " payload of " + actual + " bytes for " + count
                + " elements, expected " + expected);
        }
    }

    static void requireDestination(final float[] dst, final int dstOff, final int count) {
        if (dstOff < 0 || count < 0 || dstOff > dst.length - count) {
            throw CollectivesException.internal("destination [" + dstOff + ", +" + count + ") outside array of "
                + dst.length);
        }
    }

    static float requireFiniteDecoded(final CodecId id, final float v, final int index) {
        if (!Float.isFinite(v)) {
            throw CollectivesException.badPeer(id + " element " + index + " decodes to " + v);
        }
        return v;
    }
}
