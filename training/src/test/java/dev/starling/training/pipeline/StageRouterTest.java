package dev.starling.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class StageRouterTest {
    @Test
    void shouldSendMoreHopsToTheFasterPeer() {
        StageRouter<String> router = new StageRouter<>(3, 1);
        router.add("fast", 0);
        router.add("slow", 0);
        router.recordSuccess("fast", 9_000, 1_000_000);
        router.recordSuccess("slow", 1_000, 1_000_000);
        int fast = 0;
        for (int i = 0; i < 1000; i++) {
            if (router.choose(0, Set.of()).orElseThrow().equals("fast")) {
                fast++;
            }
        }
        assertTrue(fast > 850 && fast < 950, "fast chosen " + fast + " of 1000 (expected ~900)");
        assertEquals("slow", router.choose(0, Set.of("fast")).orElseThrow());
        assertTrue(router.choose(1, Set.of()).isEmpty());
    }

    @Test
    void shouldExcludeAPeerAtTheStrikeLimitForGood() {
        StageRouter<String> router = new StageRouter<>(2, 1);
        router.add("liar", 0);
        assertFalse(router.recordBadInput("liar"));
        assertTrue(router.recordBadInput("liar"));
        assertTrue(router.isExcluded("liar"));
        assertFalse(router.add("liar", 0));
        assertEquals(0, router.poolSize(0));
    }

    @Test
    void shouldSendAJoiningPeerToTheEmptyThenTheSlowestStage() {
        StageRouter<String> router = new StageRouter<>(2, 1);
        router.add("a", 0);
        router.add("b", 1);
        router.recordSuccess("a", 1_000, 1_000);
        router.recordSuccess("b", 5_000, 1_000);
        assertEquals(2, router.stageToJoin(3), "stage 2 has nobody");
        router.add("c", 2);
        router.recordSuccess("c", 9_000, 1_000);
        assertEquals(0, router.stageToJoin(3), "stage 0 is the slowest");
    }

    @Test
    void shouldSpreadUnmeasuredJoinersOverThePoolsAndMoveTheSlowestPeerToAStageThatRanShort() {
        StageRouter<String> router = new StageRouter<>(2, 1);
        for (int i = 0; i < 8; i++) {
            String peer = "p" + i;
            router.add(peer, router.stageToJoin(4));
        }
        for (int s = 0; s < 4; s++) {
            assertEquals(2, router.poolSize(s), "two peers per stage while none is measured");
        }
        assertTrue(router.reassignment(4).isEmpty(), "no stage is short");
        router.recordSuccess("p1", 5_000, 1_000);
        router.recordSuccess("p5", 1_000, 1_000);
        router.remove("p0");
        router.remove("p4");
        var move = router.reassignment(4).orElseThrow();
        assertEquals(0, move.getValue(), "stage 0 lost both its peers");
        assertEquals(2, router.poolSize(1), "stage 1 can spare one");
        assertEquals("p5", move.getKey(), "the slower of stage 1's peers moves");
    }
}
