package dev.starling.fault.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PhiAccrualDetectorTest {
    private static final long SECOND = 1_000_000_000L;

    private static PhiAccrualDetector detector() {
        return new PhiAccrualDetector(SECOND, SECOND / 10, 0);
    }

    @Test
    void shouldKeepPhiLowWhileHeartbeatsArriveOnTime() {
        PhiAccrualDetector d = detector();
        for (int i = 0; i <= 20; i++) {
            d.heartbeat("a", i * SECOND);
        }
        assertTrue(d.phi("a", 20 * SECOND + SECOND / 2) < 1, "half an interval after a beat");
        assertTrue(d.isAvailable("a", 21 * SECOND, 8));
    }

    @Test
    void shouldRaisePhiMonotonicallyWithSilenceUntilThePeerIsSuspected() {
        PhiAccrualDetector d = detector();
        for (int i = 0; i <= 20; i++) {
            d.heartbeat("a", i * SECOND);
        }
        double previous = -1;
        for (long t = 20 * SECOND; t <= 24 * SECOND; t += SECOND / 4) {
            double phi = d.phi("a", t);
            assertTrue(phi >= previous, "phi fell from " + previous + " to " + phi + " at " + t);
            previous = phi;
        }
        assertFalse(d.isAvailable("a", 23 * SECOND, 8), "three silent intervals on a regular peer");
    }

    @Test
    void shouldTolerateLongerSilenceFromAPeerWithIrregularHeartbeats() {
        PhiAccrualDetector regular = detector();
        PhiAccrualDetector jittery = detector();
        long t = 0;
        for (int i = 0; i < 40; i++) {
            regular.heartbeat("a", i * SECOND);
            t += i % 2 == 0 ? SECOND / 4 : 7 * SECOND / 4;
            jittery.heartbeat("a", t);
        }
        long silence = 5 * SECOND / 2;
        assertTrue(jittery.phi("a", t + silence) < regular.phi("a", 39 * SECOND + silence));
    }

    @Test
    void shouldReportInfinityForAnUnknownPeerAndForgetRemovedOnes() {
        PhiAccrualDetector d = detector();
        assertEquals(Double.POSITIVE_INFINITY, d.phi("ghost", 0));
        d.heartbeat("a", 0);
        d.remove("a");
        assertEquals(Set.of(), d.known());
    }

    @Test
    void shouldRefuseNewPeersBeyondTheCap() {
        PhiAccrualDetector d = detector();
        for (int i = 0; i < PhiAccrualDetector.MAX_PEERS; i++) {
            assertTrue(d.heartbeat("p" + i, 0));
        }
        assertFalse(d.heartbeat("one-too-many", 0));
        assertTrue(d.heartbeat("p0", SECOND), "known peers still count");
    }
}
