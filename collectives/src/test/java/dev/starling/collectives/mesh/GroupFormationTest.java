package dev.starling.collectives.mesh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.CollectivesException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GroupFormationTest {
    private static final long MS = 1_000_000L;
    private static final long ROUND = 5;
    private static final String THETA = "theta-1";
    private static final GroupFormation.Timing TIMING = new GroupFormation.Timing(100 * MS, 100 * MS, 20 * MS,
            1000 * MS);

    private static byte[] id(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    private static GroupFormation formation(String self, int expected) {
        return new GroupFormation(self, id(self), ROUND, 2, 8, expected, TIMING);
    }

    private static RoundMessage.Ready ready(long samples, String theta) {
        return new RoundMessage.Ready(ROUND, samples, theta, List.of("/ip4/127.0.0.1/tcp/1"));
    }

    private static RoundMessage.Roster roster(String... names) {
        List<RoundMessage.Member> members = new ArrayList<>();
        for (String n : names) {
            members.add(new RoundMessage.Member(id(n), 10, List.of()));
        }
        return new RoundMessage.Roster(ROUND, THETA, members);
    }

    private static List<String> names(RoundMessage.Roster roster) {
        return roster.members().stream().map(m -> new String(m.peerId(), StandardCharsets.UTF_8)).toList();
    }

    /**
     * Peers exchanging round messages on a simulated clock (1 ms steps), each message delivered after a fixed
     * per-link delay; a silent peer announces readiness but never acts again (it died).
     */
    private static final class Sim {
        private record Delivery(long at, long seq, String to, String from, RoundMessage message) {
        }

        private final Map<String, GroupFormation> peers = new HashMap<>();
        private final Map<String, GroupFormation.Decision> outcomes = new HashMap<>();
        private final Map<String, String> theta = new HashMap<>();
        private final Set<String> silent = new HashSet<>();
        private final Set<String> readyPeers = new HashSet<>();
        private final List<String> published = new ArrayList<>();
        private final List<String> logs = new ArrayList<>();
        private final PriorityQueue<Delivery> queue = new PriorityQueue<>((x, y) -> x.at() != y.at()
                ? Long.compare(x.at(), y.at()) : Long.compare(x.seq(), y.seq()));
        private final Map<String, Long> readyAt = new HashMap<>();
        private final Map<String, Long> linkDelay = new HashMap<>();
        private final List<String> confirmed = new ArrayList<>();
        private Random jitter;
        private long delay = 2 * MS;
        private long seq;
        private long now;

        Sim peer(String name, int expected, long readyAtMillis) {
            peers.put(name, formation(name, expected));
            readyAt.put(name, readyAtMillis * MS);
            theta.put(name, THETA);
            return this;
        }

        void broadcast(String from, RoundMessage message) {
            for (String to : peers.keySet()) {
                if (!to.equals(from)) {
                    long d = linkDelay.getOrDefault(from + ">" + to, delay);
                    d += jitter == null ? 0 : jitter.nextLong(60) * MS;
                    queue.add(new Delivery(now + d, seq++, to, from, message));
                }
            }
        }

        void runUntil(long millis) {
            for (; now <= millis * MS; now += MS) {
                for (Map.Entry<String, Long> e : readyAt.entrySet()) {
                    if (e.getValue() == now) {
                        RoundMessage.Ready r = ready(10, theta.get(e.getKey()));
                        peers.get(e.getKey()).selfReady(r, now);
                        readyPeers.add(e.getKey());
                        broadcast(e.getKey(), r);
                    }
                }
                while (!queue.isEmpty() && queue.peek().at() <= now) {
                    Delivery d = queue.poll();
                    GroupFormation f = peers.get(d.to());
                    switch (d.message()) {
                        case RoundMessage.Ready r -> f.onReady(d.from(), id(d.from()), r, now);
                        case RoundMessage.Roster r -> {
                            String rejected = f.onRoster(d.from(), names(r), r, now);
                            if (rejected != null) {
                                logs.add(d.to() + " rejects " + d.from() + ": " + rejected);
                            }
                        }
                        case RoundMessage.Confirm c -> f.onConfirm(d.from(), c);
                    }
                }
                for (String p : readyPeers) {
                    if (silent.contains(p) || outcomes.containsKey(p)) {
                        continue;
                    }
                    logs.addAll(peers.get(p).heldBack(now));
                    switch (peers.get(p).poll(now)) {
                        case GroupFormation.Wait ignored -> { }
                        case GroupFormation.Publish publish -> {
                            published.add(p);
                            broadcast(p, publish.roster());
                        }
                        case GroupFormation.Confirm confirm -> {
                            confirmed.add(confirm.message().rosterHash());
                            broadcast(p, confirm.message());
                        }
                        case GroupFormation.Formed formed -> outcomes.put(p, formed);
                        case GroupFormation.GiveUp giveUp -> outcomes.put(p, giveUp);
                    }
                }
            }
        }

        List<String> formedWith(String peer) {
            return names(assertInstanceOf(GroupFormation.Formed.class, outcomes.get(peer), peer + ": "
                    + outcomes.get(peer)).roster());
        }
    }

    @Test
    void shouldFormOneGroupLedByTheSmallestPeerOnceAllExpectedAreReady() {
        Sim sim = new Sim().peer("a", 3, 0).peer("b", 3, 1).peer("c", 3, 2);
        sim.runUntil(60);
        assertEquals(List.of("a"), sim.published);
        for (String p : List.of("a", "b", "c")) {
            assertEquals(List.of("a", "b", "c"), sim.formedWith(p));
        }
    }

    @Test
    void shouldPublishAfterTheWindowWithFewerPeersIfAboveTheMinimum() {
        GroupFormation a = formation("a", 3);
        a.selfReady(ready(10, THETA), 0);
        a.onReady("b", id("b"), ready(10, THETA), 0);
        assertInstanceOf(GroupFormation.Wait.class, a.poll(99 * MS));
        RoundMessage.Roster roster = assertInstanceOf(GroupFormation.Publish.class, a.poll(100 * MS)).roster();
        assertInstanceOf(GroupFormation.Wait.class, a.poll(110 * MS), "settling");
        RoundMessage.Confirm confirm = assertInstanceOf(GroupFormation.Confirm.class, a.poll(120 * MS)).message();
        assertEquals(RoundMessage.rosterHash(roster), confirm.rosterHash());
        assertInstanceOf(GroupFormation.Wait.class, a.poll(121 * MS), "b has not confirmed yet");
        a.onConfirm("b", confirm);
        assertEquals(roster, assertInstanceOf(GroupFormation.Formed.class, a.poll(122 * MS)).roster());
    }

    @Test
    void shouldRejectRostersThatTheLeaderCouldNotHaveSigned() {
        GroupFormation b = formation("b", 3);
        b.selfReady(ready(10, THETA), 0);
        b.onReady("c", id("c"), ready(10, THETA), 0);
        assertTrue(b.onRoster("z", List.of("a", "b"), roster("a", "b"), MS).contains("not by its smallest member"));
        assertTrue(b.onRoster("c", List.of("c", "b"), roster("c", "b"), MS).contains("increasing"));
        assertTrue(b.onRoster("b", List.of("b"), roster("b"), MS).contains("outside"));
        RoundMessage.Roster heavy = new RoundMessage.Roster(ROUND, THETA, List.of(
                new RoundMessage.Member(id("a"), 10, List.of()), new RoundMessage.Member(id("c"), 999, List.of())));
        assertTrue(b.onRoster("a", List.of("a", "c"), heavy, MS).contains("999 samples"));
        assertNull(b.onRoster("a", List.of("a", "b", "c"), roster("a", "b", "c"), MS));
        assertTrue(b.onRoster("a", List.of("a", "b"), roster("a", "b"), MS).contains("two different rosters"));
        assertInstanceOf(GroupFormation.Wait.class, b.poll(50 * MS), "the equivocating leader's rosters are gone");
    }

    @Test
    void shouldHoldBackARosterThatPassesOverALiveLeaderAndFormWithTheLeaders() {
        Sim sim = new Sim().peer("a", 4, 0).peer("b", 4, 0).peer("c", 4, 0);
        sim.runUntil(5);
        // b forges a group without a: every peer has known for a while that a is ready
        sim.broadcast("b", roster("b", "c"));
        sim.runUntil(80);
        assertEquals(List.of("a"), sim.published, "a answers the forged roster at once with its own");
        assertTrue(sim.logs.stream().anyMatch(l -> l.contains("holding back round 5's roster signed by b")),
                String.join("\n", sim.logs));
        for (String p : List.of("a", "b", "c")) {
            assertEquals(List.of("a", "b", "c"), sim.formedWith(p));
        }
    }

    @Test
    void shouldReplaceASilentLeaderAfterItsTurnAndConvergeOnTheReplacementsRoster() {
        Sim sim = new Sim().peer("a", 3, 0).peer("b", 3, 0).peer("c", 3, 10);
        sim.silent.add("a");
        sim.runUntil(150);
        assertTrue(sim.outcomes.isEmpty(), "nobody forms while the leader's turn lasts: " + sim.outcomes);
        sim.runUntil(400);
        assertEquals(List.of("b"), sim.published);
        assertEquals(List.of("b", "c"), sim.formedWith("b"));
        assertEquals(List.of("b", "c"), sim.formedWith("c"));
    }

    @Test
    void shouldConvergeWhenASmallerPeerReadyAtTheLastMomentLeadsACompetingRoster() {
        // The churn run's mismatch: b, c and d wait for a (expected 4); b's window ends and it publishes {b,c,d}
        // just as a, freshly synced and the smallest id, becomes ready, sees all three and publishes {a,b,c,d}.
        Sim sim = new Sim().peer("a", 4, 99).peer("b", 4, 0).peer("c", 4, 0).peer("d", 4, 0);
        sim.runUntil(300);
        assertEquals(Set.of("a", "b"), Set.copyOf(sim.published), "two leaders published");
        for (String p : List.of("a", "b", "c", "d")) {
            assertEquals(List.of("a", "b", "c", "d"), sim.formedWith(p), "every member takes the same roster");
        }
    }

    @Test
    void shouldNotLetTwoRostersForOneRoundBothFormWhenARosterArrivesLateAtSomeMembers() {
        // The loaded churn run's mismatches: as above, b publishes {b,c,d} as a, ready at the last moment, publishes
        // {a,b,c,d}; but a's messages reach d 80 ms late, past d's settle time (20 ms). d settles on b's roster
        // while a, b and c settle on a's; before confirmation d reduced in one group and a, b, c in another.
        Sim sim = new Sim().peer("a", 4, 99).peer("b", 4, 0).peer("c", 4, 0).peer("d", 4, 0);
        sim.linkDelay.put("a>d", 80 * MS);
        sim.runUntil(600);
        assertEquals(Set.of("a", "b"), Set.copyOf(sim.published), "two leaders published");
        assertEquals(2, Set.copyOf(sim.confirmed).size(), "the members settled on two different rosters");
        for (String p : List.of("a", "b", "c", "d")) {
            GroupFormation.GiveUp giveUp = assertInstanceOf(GroupFormation.GiveUp.class, sim.outcomes.get(p), p);
            assertTrue(giveUp.reason().contains("confirmed another roster"), giveUp.reason());
        }
    }

    @Test
    void shouldNeverFormTwoRostersForOneRoundUnderRandomGossipDelays() {
        int conflicts = 0;
        int formedRounds = 0;
        for (int seed = 0; seed < 300; seed++) {
            Random random = new Random(seed);
            Sim sim = new Sim();
            for (String p : List.of("a", "b", "c", "d", "e")) {
                sim.peer(p, 5, random.nextInt(250));
            }
            sim.jitter = random;
            sim.runUntil(3000);
            conflicts += Set.copyOf(sim.confirmed).size() > 1 ? 1 : 0;
            Set<List<String>> formed = new HashSet<>();
            for (Map.Entry<String, GroupFormation.Decision> e : sim.outcomes.entrySet()) {
                if (e.getValue() instanceof GroupFormation.Formed f) {
                    formed.add(names(f.roster()));
                    assertTrue(names(f.roster()).contains(e.getKey()), "seed " + seed);
                }
            }
            assertTrue(formed.size() <= 1, "seed " + seed + ": two rosters formed: " + formed);
            formedRounds += formed.size();
            assertEquals(5, sim.outcomes.size(), "seed " + seed + ": every peer decided: " + sim.outcomes);
        }
        assertTrue(conflicts > 0, "the delays must produce conflicting rosters for the test to mean anything");
        assertTrue(formedRounds > 150, "most rounds still form: " + formedRounds + " of 300");
    }

    @Test
    void shouldSitOutWithoutCompetingWhenItBecomesReadyAfterItsRoundFormed() {
        Sim sim = new Sim().peer("a", 4, 250).peer("b", 4, 0).peer("c", 4, 0).peer("d", 4, 0);
        sim.runUntil(400);
        assertEquals(List.of("b"), sim.published);
        GroupFormation.GiveUp giveUp = assertInstanceOf(GroupFormation.GiveUp.class, sim.outcomes.get("a"));
        assertTrue(giveUp.reason().contains("formed without this peer"), giveUp.reason());
        assertEquals(List.of("b", "c", "d"), sim.formedWith("c"));
    }

    @Test
    void shouldOnlyGroupPeersThatStartFromTheSameTheta() {
        Sim sim = new Sim().peer("a", 3, 0).peer("b", 3, 0).peer("c", 3, 0);
        sim.theta.put("a", "stale");
        sim.runUntil(1100);
        assertEquals(List.of("b"), sim.published, "a is smallest but alone on its θ");
        assertEquals(List.of("b", "c"), sim.formedWith("c"));
        assertInstanceOf(GroupFormation.GiveUp.class, sim.outcomes.get("a"));
    }

    @Test
    void shouldSitOutWhenNoRosterArrives() {
        GroupFormation b = formation("b", 3);
        b.selfReady(ready(10, THETA), 0);
        b.onReady("a", id("a"), ready(10, THETA), 0);
        assertInstanceOf(GroupFormation.Wait.class, b.poll(500 * MS));
        assertInstanceOf(GroupFormation.GiveUp.class, b.poll(1000 * MS));
    }

    @Test
    void shouldIgnoreAnnouncementsForOtherRounds() {
        GroupFormation a = formation("a", 3);
        a.selfReady(ready(10, THETA), 0);
        a.onReady("b", id("b"), new RoundMessage.Ready(6, 10, THETA, List.of()), 0);
        assertInstanceOf(GroupFormation.GiveUp.class, a.poll(1000 * MS), "alone, below the minimum of 2");
    }

    @Test
    void shouldWeighMembersBySamplesOnlyWhenTheyDiffer() {
        RoundMessage.Member a = new RoundMessage.Member(id("a"), 32, List.of());
        RoundMessage.Member b = new RoundMessage.Member(id("b"), 32, List.of());
        RoundMessage.Member c = new RoundMessage.Member(id("c"), 96, List.of());
        assertNull(RoundMessage.weights(List.of(a, b)));
        assertArrayEquals(new double[] {32, 96}, RoundMessage.weights(List.of(a, c)));
    }

    @Test
    void shouldRoundTripMessagesAndRejectMutations() {
        RoundMessage.Roster roster = new RoundMessage.Roster(9, THETA, List.of(new RoundMessage.Member(id("a"), 7,
                List.of("/ip4/1.2.3.4/tcp/5"))));
        byte[] bytes = RoundMessage.encode(roster);
        RoundMessage.Roster back = assertInstanceOf(RoundMessage.Roster.class, RoundMessage.decode(bytes));
        assertEquals("/ip4/1.2.3.4/tcp/5", back.members().getFirst().addresses().getFirst());
        assertEquals(7, back.members().getFirst().samples());
        assertEquals(THETA, back.baseHash());
        RoundMessage.Ready ready = assertInstanceOf(RoundMessage.Ready.class,
                RoundMessage.decode(RoundMessage.encode(ready(12, THETA))));
        assertEquals(12, ready.samples());
        assertEquals(THETA, ready.baseHash());
        RoundMessage.Confirm confirm = new RoundMessage.Confirm(9, RoundMessage.rosterHash(roster));
        assertEquals(confirm, RoundMessage.decode(RoundMessage.encode(confirm)));
        assertEquals(64, confirm.rosterHash().length());
        assertThrows(CollectivesException.class, () -> RoundMessage.decode(Arrays.copyOf(RoundMessage.encode(
                confirm), 20)));
        assertThrows(CollectivesException.class, () -> RoundMessage.decode(new byte[] {9}));
        Random random = new Random(3);
        for (int i = 0; i < 5000; i++) {
            byte[] m = bytes.clone();
            m[random.nextInt(m.length)] = (byte) random.nextInt(256);
            try {
                RoundMessage.decode(m);
            } catch (CollectivesException expected) {
                // the only failure a remote peer can cause
            }
        }
    }
}
