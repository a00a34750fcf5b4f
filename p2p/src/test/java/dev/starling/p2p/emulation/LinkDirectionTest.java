package dev.starling.p2p.emulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.crypto.Keys;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LinkDirectionTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final PeerId A = Keys.ed25519ForTest(1).publicKey().toPeerId();
    private static final PeerId B = Keys.ed25519ForTest(2).publicKey().toPeerId();
    private static final PeerId C = Keys.ed25519ForTest(3).publicKey().toPeerId();

    @Test
    void shouldPaceExactlyAtTheRateOverManyWrites() {
        Pacer pacer = new Pacer(100_000_000);
        assertEquals(100_000, pacer.finish(1250, 0)); // 10,000 bits at 100 Mbit/s = 100 µs
        long t = 0;
        for (int i = 0; i < 1_000_000; i++) t = pacer.finish(1, 0);
        assertEquals(100_000 + 80_000_000L, t); // a million single bytes: 80 ns each, no drift
    }

    @Test
    void shouldCarryFractionsOfANanosecondWithoutDrift() {
        Pacer pacer = new Pacer(3_000_000); // one byte = 2666.67 ns
        long t = 0;
        for (int i = 0; i < 3; i++) t = pacer.finish(1, 0);
        assertEquals(8000, t);
        Pacer idle = new Pacer(3_000_000);
        assertEquals(1_002_666, idle.finish(1, 1_000_000)); // starts when the byte is ready, not at 0
    }

    @Test
    void shouldAddOneWayDelayAfterSerialization() {
        LinkDirection d = LinkEmulation.uniform(new LinkProfile(100_000_000, 50 * MS, 0)).forHost(A).towards(B);
        assertEquals(50 * MS + 100_000, d.admit(1250, 0));
        assertEquals(50 * MS + 200_000, d.admit(1250, 0)); // queued behind the first
        assertEquals(60 * MS + 100_000, d.admit(1250, 10 * MS)); // link idle again by then
        assertEquals(60 * MS + 100_000, d.admit(0, 10 * MS)); // a control event keeps its place
    }

    @Test
    void shouldShareTheUplinkAcrossConnectionsOfOneHost() {
        LinkEmulation emulation = LinkEmulation.uniform(new LinkProfile(0, 10 * MS, 0)).withUplink(8_000_000);
        HostEgress egress = emulation.forHost(A);
        LinkDirection toB = egress.towards(B);
        LinkDirection toC = egress.towards(C);
        assertEquals(10 * MS + MS, toB.admit(1000, 0)); // 8000 bits at 8 Mbit/s = 1 ms
        assertEquals(10 * MS + 2 * MS, toC.admit(1000, 0)); // waits for the shared uplink
        LinkDirection fromB = emulation.forHost(B).towards(A);
        assertEquals(10 * MS + MS, fromB.admit(1000, 0)); // another host has its own uplink
    }

    @Test
    void shouldShareTheReceiversDownlinkAcrossSenders() {
        LinkEmulation emulation = LinkEmulation.uniform(new LinkProfile(0, 10 * MS, 0)).withUplink(80_000_000)
                .withDownlink(C, 8_000_000);
        LinkDirection aToC = emulation.forHost(A).towards(C);
        LinkDirection bToC = emulation.forHost(B).towards(C);
        assertEquals(10 * MS + MS, aToC.admit(1000, 0)); // 8000 bits at C's 8 Mbit/s downlink = 1 ms
        assertEquals(10 * MS + 2 * MS, bToC.admit(1000, 0)); // another sender waits for the same downlink
        assertEquals(8_000_000, bToC.bottleneckBitsPerSecond());
        LinkDirection aToB = emulation.forHost(A).towards(B);
        assertEquals(10 * MS + MS / 10, aToB.admit(1000, 0)); // B has no downlink: only A's uplink
    }

    @Test
    void shouldLetTheSlowerOfUplinkAndLinkSetThePace() {
        LinkEmulation emulation = LinkEmulation.uniform(new LinkProfile(8_000_000, 0, 0)).withUplink(80_000_000)
                .withLink(A, C, new LinkProfile(0, 0, 0));
        LinkDirection toB = emulation.forHost(A).towards(B);
        assertEquals(MS, toB.admit(1000, 0));
        assertEquals(2 * MS, toB.admit(1000, 0));
        LinkDirection toC = emulation.forHost(A).towards(C);
        assertEquals(MS / 10, toC.admit(1000, 0)); // only the uplink limits A -> C
    }

    @Test
    void shouldRetransmitLostSegmentsAndDelayEverythingBehindThem() {
        LinkProfile lossy = new LinkProfile(1_000_000_000, 25 * MS, 0.01);
        LinkDirection d = LinkEmulation.uniform(lossy).withSeed(7).forHost(A).towards(B);
        long segments = 0;
        long lastArrival = Long.MIN_VALUE;
        long delayed = 0;
        for (int i = 0; i < 20_000; i++) {
            // one segment every 10 ms: below the loss-capped rate (2.9 Mbit/s), so nothing queues
            long arrival = d.admit(LinkProfile.SEGMENT_BYTES, i * 10 * MS);
            assertTrue(arrival >= lastArrival, "arrivals keep their order");
            if (arrival - i * 10 * MS >= 25 * MS + 50 * MS) delayed++;
            lastArrival = arrival;
            segments++;
        }
        double rate = d.segmentsLost() / (double) segments;
        assertTrue(rate > 0.008 && rate < 0.012, "loss rate " + rate);
        assertEquals(d.segmentsLost(), delayed, "each lost segment arrives one round trip late");
    }

    @Test
    void shouldCapALossyLinkAtTheMathisThroughput() {
        // MSS 1460 B, RTT 100 ms, p = 1%: 1460 * 8 / 0.1 * sqrt(150) = 1.43 Mbit/s
        long rate = LinkDirection.effectiveRate(new LinkProfile(100_000_000, 50 * MS, 0.01));
        assertEquals(1_430_000, rate, 10_000);
        assertEquals(100_000_000, LinkDirection.effectiveRate(new LinkProfile(100_000_000, 50 * MS, 0)));
        assertEquals(100_000_000, LinkDirection.effectiveRate(new LinkProfile(100_000_000, 0, 0.01)));
    }

    @Test
    void shouldParseWhatAUserTypes() {
        assertEquals(new LinkProfile(100_000_000, 50 * MS, 0), LinkProfile.parse("100mbit,50ms"));
        assertEquals(new LinkProfile(1_000_000_000, 10 * MS, 0.001), LinkProfile.parse("1gbit,10ms,0.1%"));
        assertEquals(new LinkProfile(0, 500_000, 0.02), LinkProfile.parse("0,500us,0.02"));
        assertEquals(new LinkProfile(2_500, 1_000_000_000, 0), LinkProfile.parse("2.5kbit,1s"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LinkProfile.parse("100,5ms"));
        assertTrue(e.getMessage().contains("needs a unit"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LinkProfile.parse("10mbit,5ms,0.9"));
        assertThrows(IllegalArgumentException.class, () -> LinkProfile.parse("20gbit"));
        assertThrows(IllegalArgumentException.class, () -> LinkProfile.parse("xmbit"));
    }
}
