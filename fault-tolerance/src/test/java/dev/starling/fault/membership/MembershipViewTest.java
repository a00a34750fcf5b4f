package dev.starling.fault.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Set;
import org.junit.jupiter.api.Test;

class MembershipViewTest {
    private static final long SECOND = 1_000_000_000L;

    private static MembershipView view() {
        return new MembershipView("me", new PhiAccrualDetector(SECOND, SECOND / 10, 0), 8);
    }

    private static void beat(MembershipView v, String peer, long round, int fromSecond, int toSecond) {
        for (int s = fromSecond; s <= toSecond; s++) {
            v.heartbeat(peer, round, s * SECOND);
        }
    }

    @Test
    void shouldDropASilentPeerFromTheNextRoundsView() {
        MembershipView v = view();
        beat(v, "a", 3, 0, 10);
        beat(v, "b", 3, 0, 10);
        assertEquals(Set.of("me", "a", "b"), v.snapshot(4, 10 * SECOND).live());
        beat(v, "a", 4, 11, 20);
        MembershipView.Round later = v.snapshot(5, 20 * SECOND);
        assertEquals(Set.of("me", "a"), later.live());
        assertEquals(5, later.round());
        assertEquals(4, v.newestRound(20 * SECOND), "only live peers' rounds count");
    }

    @Test
    void shouldRemoveALeavingPeerAtOnceAndReadmitItWhenItComesBack() {
        MembershipView v = view();
        beat(v, "a", 1, 0, 5);
        v.left("a");
        assertEquals(Set.of("me"), v.snapshot(2, 5 * SECOND).live());
        v.heartbeat("a", 0, 6 * SECOND);
        assertEquals(Set.of("me", "a"), v.snapshot(2, 6 * SECOND).live());
    }

    @Test
    void shouldIgnoreHeartbeatsFromBannedPeersAndFromItself() {
        MembershipView v = view();
        v.ban("evil");
        assertFalse(v.heartbeat("evil", 99, 0));
        assertFalse(v.heartbeat("me", 99, 0));
        assertEquals(Set.of("me"), v.snapshot(1, 0).live());
        assertEquals(0, v.newestRound(0));
    }
}
