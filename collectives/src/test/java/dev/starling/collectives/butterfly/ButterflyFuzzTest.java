package dev.starling.collectives.butterfly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.Fp32Codec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Mutated chunks from one member never escape {@link ButterflyMember#onChunk} as exceptions. */
class ButterflyFuzzTest {

    @Test
    void shouldTurnEveryMutatedChunkIntoAFaultOrAValidInputNeverAnException() {
        Random r = new Random(777);
        int n = 3;
        int length = 90;
        List<String> roster = IntStream.range(0, n).mapToObj(i -> "p" + i).toList();
        int faults = 0;
        for (int trial = 0; trial < 2000; trial++) {
            ButterflyMember[] m = new ButterflyMember[n];
            for (int i = 0; i < n; i++) {
                m[i] = new ButterflyMember(new ButterflyConfig(roster, i, length, PartSplit.even(),
                    BlockQuantCodec.int8(8), Fp32Codec.INSTANCE, new Mean(), null, null, 1, 1, 10, 20), null);
            }
            float[] delta = new float[length];
            for (int c = 0; c < length; c++) {
                delta[c] = (float) r.nextGaussian();
            }
            List<Outgoing> out = m[1].start(delta, 0);
            m[0].start(delta, 0);
            byte[] bytes = out.get(0).chunk().toArray(ValueLayout.JAVA_BYTE);
            int flips = 1 + r.nextInt(4);
            for (int f = 0; f < flips; f++) {
                bytes[r.nextInt(bytes.length)] ^= (byte) (1 << r.nextInt(8));
            }
            m[0].onChunk(1, MemorySegment.ofArray(bytes), 1);
            m[0].onTick(20);
            ButterflyResult result = m[0].result();
            faults += result.faults().size();
            assertEquals(n, result.missingParts().size() + 1, "only part 0 (its own) can be present");
        }
        assertTrue(faults > 1900, "checksummed mutants are caught: " + faults);
    }
}
