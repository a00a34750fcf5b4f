package dev.starling.collectives.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.CollectivesException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Fixed-seed mutation fuzzing of valid chunks of every codec. Every input must either decode to finite values
 * of the announced count or be rejected with {@link CollectivesException} BAD_PEER; nothing else may escape.
 * Half the mutants are re-sealed with a valid checksum so the mutation reaches the size and payload checks.
 */
class ChunkFuzzTest {
    private static final int MUTANTS_PER_SEED = 800;

    private static List<MemorySegment> seeds() {
        List<MemorySegment> seeds = new ArrayList<>();
        int[] sizes = {1, 7, 64, 333};
        for (int n : sizes) {
            float[] x = CodecRoundTripTest.gaussian(n, n, 0.5);
            for (UpdateCodec codec : CodecRoundTripTest.allCodecs()) {
                seeds.add(UpdateChunks.encode(codec, ChunkKind.CONTRIBUTION, 5, 6, 1, 64, x, 0, n));
            }
            seeds.add(UpdateChunks.encode(BlockQuantCodec.int4(8), ChunkKind.AGGREGATE, 5, 6, 1, 64, x, 0, n));
        }
        return seeds;
    }

    private static MemorySegment mutate(final MemorySegment seed, final Random r) {
        byte[] b = seed.toArray(WireLayouts.BYTE);
        int op = r.nextInt(6);
        if (op == 0) {
            b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
        } else if (op == 1) {
            b = java.util.Arrays.copyOf(b, b.length + 1 + r.nextInt(16));
        } else if (op == 2) {
            // Overwrite a header field with a hostile value.
            int at = r.nextInt(ChunkDescriptor.HEADER_LENGTH - 4) & ~3;
            int v = switch (r.nextInt(4)) {
                case 0 -> -1;
                case 1 -> Integer.MAX_VALUE;
                case 2 -> r.nextInt(2048);
                default -> 0;
            };
            MemorySegment.ofArray(b).set(WireLayouts.INT, at, v);
        } else {
            int flips = 1 + r.nextInt(op);
            for (int i = 0; i < flips && b.length > 0; i++) {
                b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
            }
        }
        MemorySegment m = MemorySegment.ofArray(b);
        if (r.nextBoolean() && b.length >= ChunkDescriptor.HEADER_LENGTH) {
            ChunkDescriptor d = new ChunkDescriptor().wrap(m, 0);
            m.set(WireLayouts.INT, ChunkDescriptor.CHECKSUM_OFFSET,
                d.computeChecksum(b.length - ChunkDescriptor.HEADER_LENGTH));
        }
        return m;
    }

    @Test
    void shouldRejectEveryMalformedMutantWithOnlyTheTypedException() {
        Random r = new Random(20261122L);
        int accepted = 0;
        int rejected = 0;
        for (MemorySegment seed : seeds()) {
            for (int i = 0; i < MUTANTS_PER_SEED; i++) {
                MemorySegment m = mutate(seed, r);
                try {
                    float[] out = UpdateChunks.decode(m, 4096);
                    for (float v : out) {
                        assertTrue(Float.isFinite(v));
                    }
                    accepted++;
                } catch (CollectivesException e) {
                    assertEquals(CollectivesException.Category.BAD_PEER, e.category(), e.getMessage());
                    rejected++;
                }
            }
        }
        System.out.printf("chunk fuzz: %d mutants, %d rejected (typed), %d still valid%n", accepted + rejected,
            rejected, accepted);
        assertTrue(rejected > accepted, "most mutants must be rejected");
    }
}
