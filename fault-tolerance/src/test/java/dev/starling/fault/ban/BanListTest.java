package dev.starling.fault.ban;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BanListTest {

    @Test
    void shouldRefuseABannedPeerFromItsRunOnlyAndKeepTheFirstReason() {
        BanList list = new BanList(3);
        assertTrue(list.ban("run-a", "liar", 2, "lying reducer"));
        assertFalse(list.ban("run-a", "liar", 5, "again"));
        assertEquals(List.of("honest", "other"), list.admit("run-a", List.of("honest", "liar", "other")));
        assertEquals(List.of("honest", "liar"), list.admit("run-b", List.of("honest", "liar")));
        assertEquals(List.of(new BanList.Ban("run-a", "liar", 2, "lying reducer")), list.bans("run-a"));
        assertTrue(list.bans("run-b").isEmpty());
    }

    @Test
    void shouldBanOnTheThirdStrikeInTheSameRun() {
        BanList list = new BanList(3);
        assertFalse(list.strike("run", "accuser", 1, "false accusation"));
        assertFalse(list.strike("other-run", "accuser", 1, "false accusation"));
        assertFalse(list.strike("run", "accuser", 2, "false accusation"));
        assertEquals(2, list.strikes("run", "accuser"));
        assertTrue(list.strike("run", "accuser", 3, "false accusation"));
        assertTrue(list.isBanned("run", "accuser"));
        assertFalse(list.isBanned("other-run", "accuser"));
        assertFalse(list.strike("run", "accuser", 4, "false accusation"));
        assertThrows(IllegalArgumentException.class, () -> new BanList(0));
    }
}
