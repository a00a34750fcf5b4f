package dev.starling.fault.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class PluralityTest {
    private static StateBeacon beacon(long round, String hash) {
        return new StateBeacon(StateBeacon.Status.ACTIVE, round, round * 10, hash, List.of("/ip4/127.0.0.1/tcp/1"));
    }

    @Test
    void shouldPickTheLargestHashGroupOfASplitRoundAndBreakTiesByTheSmallestHolder() {
        PublishedStates s = new PublishedStates();
        s.onBeacon("p3", beacon(7, "c".repeat(64)));
        s.onBeacon("p2", beacon(7, "b".repeat(64)));
        s.onBeacon("p4", beacon(7, "a".repeat(64)));
        assertNull(s.agreed(7), "three θ, no majority");
        PublishedStates.Agreed tie = s.plurality(7);
        assertEquals("b".repeat(64), tie.thetaHash(), "a three-way tie goes to the smallest holder, p2");
        assertEquals(3, tie.reporters());
        assertEquals(70, tie.innerSteps());
        s.onBeacon("p5", beacon(7, "c".repeat(64)));
        assertEquals(List.of("p3", "p5"), s.plurality(7).holders(), "two holders beat one");
        assertNull(s.plurality(8));
    }
}
