package dev.starling.fault.deadline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AdaptiveDeadlinesTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long CAP = 120 * SECOND;

    @Test
    void shouldUseTheCapUntilEveryLinkIsMeasured() {
        AdaptiveDeadlines d = new AdaptiveDeadlines(AdaptiveDeadlines.Settings.defaults());
        d.observe("a", 10_000_000, SECOND);
        assertEquals(new AdaptiveDeadlines.Phases(CAP / 2, CAP), d.plan(List.of("a", "b"), 1_000_000, CAP));
    }

    @Test
    void shouldScaleWithTheSlowestLinkAndTheMessageSize() {
        AdaptiveDeadlines d = new AdaptiveDeadlines(AdaptiveDeadlines.Settings.defaults());
        d.observe("fast", 100_000_000, SECOND);
        d.observe("slow", 10_000_000, SECOND);
        AdaptiveDeadlines.Phases small = d.plan(List.of("fast", "slow"), 10_000_000, CAP);
        AdaptiveDeadlines.Phases big = d.plan(List.of("fast", "slow"), 50_000_000, CAP);
        assertEquals(6 * SECOND, small.reduceNanos(), "4 x 1 s at the slow link's 10 MB/s + 2 s allowance");
        assertEquals(22 * SECOND, big.reduceNanos());
        assertEquals(2 * big.reduceNanos(), big.gatherNanos());
        assertEquals(5 * SECOND, d.plan(List.of("fast"), 1_000, CAP).reduceNanos(), "never below the floor");
        assertEquals(new AdaptiveDeadlines.Phases(CAP / 2, CAP), d.plan(List.of("slow"), 10_000_000_000L, CAP),
                "never above the manifest's cap");
    }

    @Test
    void shouldFollowALinkThatSlowsDownSmoothly() {
        AdaptiveDeadlines d = new AdaptiveDeadlines(AdaptiveDeadlines.Settings.defaults());
        d.observe("a", 100_000_000, SECOND);
        double before = d.bytesPerSecond("a");
        d.observe("a", 10_000_000, SECOND);
        double after = d.bytesPerSecond("a");
        assertTrue(after < before && after > 10_000_000, before + " -> " + after);
        assertTrue(Double.isNaN(d.bytesPerSecond("never")));
    }
}
