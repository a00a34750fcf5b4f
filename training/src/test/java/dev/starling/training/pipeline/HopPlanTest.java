package dev.starling.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class HopPlanTest {
    private static final int E = HopPlan.EMBED;
    private static final int B = HopPlan.BLOCKS;
    private static final int H = HopPlan.HEAD;

    @Test
    void shouldMergeTheEmbeddingAndHeadIntoTheEndStagesInOrder() {
        HopPlan plan = HopPlan.of(new int[] {0, 1, 2, 3});
        assertEquals(List.of(new HopPlan.Hop(0, E | B), new HopPlan.Hop(1, B), new HopPlan.Hop(2, B),
                new HopPlan.Hop(3, B | H)), plan.hops());
        for (int i = 0; i < plan.size(); i++) {
            assertTrue(plan.firstOfStage(i));
        }
    }

    @Test
    void shouldVisitAnEndStageTwiceWhenItsBlocksAreSwappedAway() {
        HopPlan plan = HopPlan.of(new int[] {1, 0, 3, 2});
        assertEquals(List.of(new HopPlan.Hop(0, E), new HopPlan.Hop(1, B), new HopPlan.Hop(0, B),
                new HopPlan.Hop(3, B), new HopPlan.Hop(2, B), new HopPlan.Hop(3, H)), plan.hops());
        assertEquals(2, plan.indexOf(0, B));
        assertEquals(-1, plan.indexOf(0, E | B), "not a hop of this plan");
        assertTrue(plan.firstOfStage(0));
        assertFalse(plan.firstOfStage(2), "stage 0's gradients are complete only after its embedding's backward");
        assertFalse(plan.firstOfStage(5));
    }

    @Test
    void shouldRunEverythingInOneHopWithOneStage() {
        assertEquals(List.of(new HopPlan.Hop(0, E | B | H)), HopPlan.of(new int[] {0}).hops());
        assertThrows(IllegalArgumentException.class, () -> HopPlan.of(new int[] {0, 0}));
    }
}
