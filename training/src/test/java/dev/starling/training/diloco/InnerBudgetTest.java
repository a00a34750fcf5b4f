package dev.starling.training.diloco;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InnerBudgetTest {
    @Test
    void shouldStopTheInnerPhaseWhenItsTimeBudgetIsSpentButRunAtLeastOneStep() {
        OuterConfig outer = TinyRun.outer(3, BlockQuantCodec.int8(64), BlockQuantCodec.int8(64), new Mean());
        AtomicLong clock = new AtomicLong();
        try (ParallelFor pool = new ParallelFor(1);
             DilocoPeer peer = new DilocoPeer(0, TinyRun.train(2, 40), outer, TinyRun.DATA, pool, TinyRun.RUN_ID)) {
            long second = 1_000_000_000L;
            peer.innerPhase(null, 3 * second / 2, () -> clock.getAndAdd(second)); // each reading is a second on
            assertEquals(2, peer.lastInnerStepCount(), "a step at 0 s and one at 1 s; 2 s is over the budget");
            peer.innerPhase(null, 1, () -> clock.getAndAdd(second));
            assertEquals(1, peer.lastInnerStepCount(), "at least one step");
            peer.innerPhase(null);
            assertEquals(3, peer.lastInnerStepCount(), "without a budget: H steps");
            assertEquals(6, peer.innerSteps());
        }
    }
}
