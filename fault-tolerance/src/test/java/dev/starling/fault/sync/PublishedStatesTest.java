package dev.starling.fault.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PublishedStatesTest {
    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);

    private static StateBeacon beacon(long round, String hash) {
        return new StateBeacon(StateBeacon.Status.ACTIVE, round, round * 10, hash, List.of("/ip4/127.0.0.1/tcp/1"));
    }

    @Test
    void shouldAgreeOnTheNewestRoundHeldByAMajorityOfItsReporters() {
        PublishedStates s = new PublishedStates();
        s.onBeacon("p1", beacon(4, A));
        s.onBeacon("p2", beacon(5, A));
        s.onBeacon("p3", beacon(5, A));
        s.onBeacon("p4", beacon(5, B));
        PublishedStates.Agreed newest = s.newest();
        assertEquals(5, newest.round());
        assertEquals(A, newest.thetaHash());
        assertEquals(List.of("p2", "p3"), newest.holders());
        assertEquals(3, newest.reporters());
        assertEquals(50, newest.innerSteps());
    }

    @Test
    void shouldFallBackToAnOlderRoundWhenTheNewestIsSplit() {
        PublishedStates s = new PublishedStates();
        s.onBeacon("p1", beacon(6, A));
        s.onBeacon("p2", beacon(6, B));
        s.onBeacon("p3", beacon(5, A));
        assertNull(s.agreed(6));
        assertEquals(5, s.newest().round());
        s.retain(Set.of("p1", "p2"));
        assertNull(s.newest());
    }

    @Test
    void shouldDropALeavingPeerAndIgnoreOlderBeacons() {
        PublishedStates s = new PublishedStates();
        s.onBeacon("p1", beacon(3, A));
        s.onBeacon("p1", beacon(2, B));
        assertEquals(A, s.agreed(3).thetaHash());
        s.onBeacon("p1", new StateBeacon(StateBeacon.Status.LEAVING, 3, 30, A, List.of()));
        assertNull(s.newest());
        assertEquals(List.of(), s.addresses("p1"));
    }

    @Test
    void shouldRoundTripBeaconsAndRejectMalformedOnes() {
        StateBeacon b = beacon(9, B);
        assertEquals(b, StateBeacon.decode(b.encode()));
        byte[] wire = b.encode();
        assertThrows(SyncException.class, () -> StateBeacon.decode(java.util.Arrays.copyOf(wire, wire.length - 3)));
        byte[] longer = java.util.Arrays.copyOf(wire, wire.length + 1);
        assertThrows(SyncException.class, () -> StateBeacon.decode(longer));
        wire[0] = 7;
        assertThrows(SyncException.class, () -> StateBeacon.decode(wire));
    }

    @Test
    void shouldResyncAPeerWhoseHashDiffersFromTheMajorityAndCatchUpAPeerThatIsBehind() {
        PublishedStates s = new PublishedStates();
        s.onBeacon("me", beacon(5, B));
        s.onBeacon("p1", beacon(5, A));
        s.onBeacon("p2", beacon(5, A));
        assertEquals(SyncDecision.RESYNC, SyncDecision.decide(s.newest(), 5, B));
        assertEquals(SyncDecision.NONE, SyncDecision.decide(s.newest(), 5, A));
        assertEquals(SyncDecision.CATCH_UP, SyncDecision.decide(s.newest(), 0, B));
        assertEquals(SyncDecision.CATCH_UP, SyncDecision.decide(s.newest(), 4, A), "sat a round out");
        assertEquals(SyncDecision.NONE, SyncDecision.decide(s.newest(), 7, B), "the others are behind this peer");
        assertEquals(SyncDecision.NONE, SyncDecision.decide(null, 3, B));
        PublishedStates tie = new PublishedStates();
        tie.onBeacon("me", beacon(5, B));
        tie.onBeacon("p1", beacon(5, A));
        assertEquals(SyncDecision.NONE, SyncDecision.decide(tie.agreed(5), 5, B), "one against one is no majority");
    }
}
