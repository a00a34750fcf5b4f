package dev.starling.coordinator.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Multiaddr;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HostQuotaTest {
    @Test
    void shouldAdmitOnlyTheCapOfIdsFromOneHost() {
        HostQuota quota = new HostQuota(2);
        long admitted = IntStream.range(0, 10).filter(i -> quota.admit("203.0.113.7", "sybil-" + i, id -> true))
                .count();
        assertEquals(2, admitted, "one host trying ten ids gets two");
        assertTrue(quota.admit("203.0.113.7", "sybil-0", id -> true), "a holder keeps its slot");
        assertTrue(quota.admit("198.51.100.1", "honest", id -> true), "another host is not affected");
        assertFalse(quota.admit("203.0.113.7", "sybil-5", id -> true));
    }

    @Test
    void shouldFreeTheSlotOfAnIdThatIsNoLongerOnTheHost() {
        HostQuota quota = new HostQuota(1);
        Set<String> connected = new HashSet<>(Set.of("a"));
        assertTrue(quota.admit("h", "a", connected::contains));
        assertFalse(quota.admit("h", "b", connected::contains));
        connected.remove("a"); // a left (or now connects from elsewhere)
        assertTrue(quota.admit("h", "b", connected::contains));
        assertFalse(quota.admit("h", "a", id -> true), "the slot is b's now");
    }

    @Test
    void shouldNotCapWithZeroAndRejectANegativeCap() {
        HostQuota none = new HostQuota(0);
        assertFalse(none.capped());
        assertTrue(IntStream.range(0, 1000).allMatch(i -> none.admit("h", "id-" + i, id -> true)));
        assertThrows(IllegalArgumentException.class, () -> new HostQuota(-1));
    }

    @Test
    void shouldReadTheHostFromADirectConnectionOnly() {
        assertEquals(Optional.of("203.0.113.7"),
                AdmissionGate.HostLimit.ipOf(Multiaddr.fromString("/ip4/203.0.113.7/tcp/4001")));
        assertEquals(AdmissionGate.HostLimit.ipOf(Multiaddr.fromString("/ip6/2001:db8:1:2::7/tcp/4001")),
                AdmissionGate.HostLimit.ipOf(Multiaddr.fromString("/ip6/2001:db8:1:2:aa::9/tcp/4001")),
                "one IPv6 /64 is one host");
        assertEquals(Optional.of("2001:db8:1:2::/64"),
                AdmissionGate.HostLimit.ipOf(Multiaddr.fromString("/ip6/2001:db8:1:2::7/tcp/4001")));
        assertEquals(Optional.empty(), AdmissionGate.HostLimit.ipOf(Multiaddr.fromString(
                "/ip4/198.51.100.1/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit")));
    }
}
