package dev.starling.collectives.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.starling.collectives.CollectivesException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GroupFormationTest {
    private static final long MS = 1_000_000L;

    private static byte[] id(String name) {
        return name.getBytes(StandardCharsets.UTF_8);
    }

    private static GroupFormation formation(String self) {
        return new GroupFormation(self, id(self), 5, 2, 8, 3, 100 * MS, 1000 * MS);
    }

    private static RoundMessage.Ready ready(long round) {
        return new RoundMessage.Ready(round, 10, List.of("/ip4/127.0.0.1/tcp/1"));
    }

    @Test
    void shouldLetTheSmallestReadyPeerPublishTheRosterOnceAllExpectedAreReady() {
        GroupFormation a = formation("a");
        a.onReady("c", id("c"), ready(5));
        a.selfReady(ready(5), 0);
        assertInstanceOf(GroupFormation.Wait.class, a.poll(MS));
        a.onReady("b", id("b"), ready(5));
        GroupFormation.Publish publish = assertInstanceOf(GroupFormation.Publish.class, a.poll(2 * MS));
        assertEquals(List.of("a", "b", "c"), publish.roster().members().stream()
                .map(m -> new String(m.peerId(), StandardCharsets.UTF_8)).toList());
    }

    @Test
    void shouldPublishAfterTheWindowWithFewerPeersIfAboveTheMinimum() {
        GroupFormation a = formation("a");
        a.selfReady(ready(5), 0);
        a.onReady("b", id("b"), ready(5));
        assertInstanceOf(GroupFormation.Wait.class, a.poll(99 * MS));
        assertInstanceOf(GroupFormation.Publish.class, a.poll(100 * MS));
    }

    @Test
    void shouldTakeOnlyARosterAuthoredByItsSmallestMemberAndContainingSelf() {
        GroupFormation b = formation("b");
        b.selfReady(ready(5), 0);
        RoundMessage.Roster roster = new RoundMessage.Roster(5, List.of(
                new RoundMessage.Member(id("a"), List.of()), new RoundMessage.Member(id("b"), List.of())));
        b.onRoster("z", List.of("a", "b"), roster);
        assertInstanceOf(GroupFormation.Wait.class, b.poll(MS));
        b.onRoster("c", List.of("c", "b"), roster);
        assertInstanceOf(GroupFormation.Wait.class, b.poll(MS), "c is not the smallest member");
        b.onRoster("a", List.of("a", "b"), roster);
        assertEquals(roster, assertInstanceOf(GroupFormation.Formed.class, b.poll(MS)).roster());
    }

    @Test
    void shouldSitOutAtOnceWhenTheRoundsGroupFormedWithoutIt() {
        GroupFormation b = formation("b");
        b.selfReady(ready(5), 0);
        RoundMessage.Roster roster = new RoundMessage.Roster(5, List.of(
                new RoundMessage.Member(id("a"), List.of()), new RoundMessage.Member(id("c"), List.of())));
        b.onRoster("a", List.of("a", "c"), roster);
        GroupFormation.GiveUp giveUp = assertInstanceOf(GroupFormation.GiveUp.class, b.poll(MS));
        assertEquals(true, giveUp.reason().contains("without this peer"), giveUp.reason());
    }

    @Test
    void shouldSitOutWhenNoRosterArrives() {
        GroupFormation b = formation("b");
        b.selfReady(ready(5), 0);
        b.onReady("a", id("a"), ready(5));
        assertInstanceOf(GroupFormation.Wait.class, b.poll(500 * MS));
        assertInstanceOf(GroupFormation.GiveUp.class, b.poll(1000 * MS));
    }

    @Test
    void shouldIgnoreAnnouncementsForOtherRounds() {
        GroupFormation a = formation("a");
        a.selfReady(ready(5), 0);
        a.onReady("b", id("b"), ready(6));
        assertInstanceOf(GroupFormation.GiveUp.class, a.poll(1000 * MS), "alone, below the minimum of 2");
    }

    @Test
    void shouldRoundTripMessagesAndRejectMutations() {
        RoundMessage.Roster roster = new RoundMessage.Roster(9, List.of(new RoundMessage.Member(id("a"),
                List.of("/ip4/1.2.3.4/tcp/5"))));
        byte[] bytes = RoundMessage.encode(roster);
        RoundMessage.Roster back = assertInstanceOf(RoundMessage.Roster.class, RoundMessage.decode(bytes));
        assertEquals("/ip4/1.2.3.4/tcp/5", back.members().getFirst().addresses().getFirst());
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
