package dev.starling.peer.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.attack.PeerAttack;
import dev.starling.peer.cli.UserError;
import org.junit.jupiter.api.Test;

class NodeOptionsAttackTest {

    @Test
    void shouldParseMeshAttacksAndListTheValidNamesOtherwise() {
        assertNull(NodeOptions.attack(null, 1));
        assertEquals(PeerAttack.ALIE, NodeOptions.attack("alie", 1).attack());
        assertEquals(PeerAttack.LYING_REDUCER, NodeOptions.attack("lying-reducer", 1).attack());
        UserError unknown = assertThrows(UserError.class, () -> NodeOptions.attack("bogus", 1));
        assertTrue(unknown.getMessage().contains("sign-flip, noise, alie, ipm, stale-replay, lying-reducer"),
                unknown.getMessage());
        // mimic needs the other peers' updates: the in-process experiment only.
        assertThrows(UserError.class, () -> NodeOptions.attack("mimic", 1));
    }
}
