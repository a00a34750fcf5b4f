package dev.starling.collectives.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.aggregate.Mean;
import org.junit.jupiter.api.Test;

class SelfAttackTest {

    @Test
    void shouldLookAttacksUpByTheirCommandLineNames() {
        assertEquals(PeerAttack.SIGN_FLIP, PeerAttack.fromName("Sign-Flip").orElseThrow());
        assertEquals(PeerAttack.LYING_REDUCER, PeerAttack.fromName("lying-reducer").orElseThrow());
        assertTrue(PeerAttack.fromName("bogus").isEmpty());
        assertFalse(PeerAttack.names(true).contains("mimic"));
        assertTrue(PeerAttack.names(false).contains("mimic"));
        assertThrows(CollectivesException.class, () -> new SelfAttack(PeerAttack.MIMIC, 1, 0f));
    }

    @Test
    void shouldCorruptTheOwnUpdateInPlace() {
        float[] delta = {1f, -2f};
        new SelfAttack(PeerAttack.SIGN_FLIP, 1, 0f).corrupt(delta, 1);
        assertArrayEquals(new float[] {-4f, 8f}, delta);
        float[] ipm = {1f, -2f};
        new SelfAttack(PeerAttack.IPM, 1, 0f).corrupt(ipm, 1);
        assertArrayEquals(new float[] {-2f, 4f}, ipm);
        float[] noise = {1f, -2f};
        new SelfAttack(PeerAttack.NOISE, 1, 0f).corrupt(noise, 1);
        assertNotEquals(1f, noise[0]);
        SelfAttack alie = new SelfAttack(PeerAttack.ALIE, 1, 0f);
        alie.observeAggregate(new float[] {0f, -2f});
        float[] shifted = {1f, -2f};
        alie.corrupt(shifted, 2);
        assertArrayEquals(new float[] {(float) (1 - SelfAttack.ALIE_Z), -2f}, shifted, 1e-6f);
    }

    @Test
    void shouldReplayTheFirstUpdateAndLieOnlyAsReducer() {
        SelfAttack replay = new SelfAttack(PeerAttack.STALE_REPLAY, 1, 0f);
        float[] first = {1f, 2f};
        replay.corrupt(first, 1);
        assertArrayEquals(new float[] {1f, 2f}, first);
        float[] second = {5f, 6f};
        replay.corrupt(second, 2);
        assertArrayEquals(new float[] {1f, 2f}, second);

        SelfAttack liar = new SelfAttack(PeerAttack.LYING_REDUCER, 1, 0.5f);
        float[] honest = {1f, 2f};
        liar.corrupt(honest, 1);
        assertArrayEquals(new float[] {1f, 2f}, honest);
        assertInstanceOf(LyingReducer.class, liar.reducer(new Mean()));
        Mean mean = new Mean();
        assertSame(mean, replay.reducer(mean));
    }
}
