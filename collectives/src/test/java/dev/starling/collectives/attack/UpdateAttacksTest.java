package dev.starling.collectives.attack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.CollectivesException;
import dev.starling.collectives.aggregate.Mean;
import org.junit.jupiter.api.Test;

class UpdateAttacksTest {
    private static final float[][] HONEST = {{1f, 0f}, {3f, 2f}};

    @Test
    void shouldComputeAlieZFromGroupSizeAndAttackers() {
        assertEquals(0.5, UpdateAttacks.normalCdf(0), 1e-12);
        assertEquals(0.841344746, UpdateAttacks.normalCdf(1), 1e-8);
        // BTARD's setting: n = 16, f = 7 gives s = 2 and z = Phi^-1(14/16) = 1.1503.
        assertEquals(1.1503, UpdateAttacks.alieZ(16, 7), 1e-4);
        assertEquals(0.0, UpdateAttacks.alieZ(4, 0), 0.0);
    }

    @Test
    void shouldCraftEachAttackFromItsDefinition() {
        float[] own = {1f, -2f};
        assertArrayEquals(new float[] {-4f, 8f}, UpdateAttacks.craft(UpdateAttack.SIGN_FLIP, own, null, 4, 0));
        assertArrayEquals(new float[] {-4f, -2f}, UpdateAttacks.craft(UpdateAttack.IPM, own, HONEST, 2, 0));
        double z = UpdateAttacks.alieZ(16, 7);
        // Honest mean (2, 1), std (1, 1): each coordinate moves z std against the mean's sign.
        assertArrayEquals(new float[] {(float) (2 - z), (float) (1 - z)},
            UpdateAttacks.craft(UpdateAttack.ALIE, own, HONEST, z, 0), 1e-6f);
        float[][] mixed = {{-1f, 0f}, {-3f, 2f}};
        assertArrayEquals(new float[] {(float) (-2 + 3), (float) (1 - 3)},
            UpdateAttacks.craft(UpdateAttack.ALIE, own, mixed, 3, 0), 1e-6f);
        assertArrayEquals(UpdateAttacks.craft(UpdateAttack.GAUSSIAN_NOISE, own, null, 3, 9),
            UpdateAttacks.craft(UpdateAttack.GAUSSIAN_NOISE, own, null, 3, 9));
    }

    @Test
    void shouldFlipEveryLabelThroughOneSeededPermutation() {
        int[] perm = LabelFlip.permutation(65, 7);
        assertArrayEquals(perm, LabelFlip.permutation(65, 7), "the same seed gives the same permutation");
        boolean[] seen = new boolean[65];
        for (int t = 0; t < 65; t++) {
            assertTrue(perm[t] != t, "token " + t + " keeps its label");
            seen[perm[t]] = true;
        }
        for (boolean s : seen) {
            assertTrue(s, "not a permutation");
        }
        assertArrayEquals(new int[] {perm[3], perm[0], perm[3]}, LabelFlip.apply(new int[] {3, 0, 3}, perm));
        assertThrows(CollectivesException.class, () -> LabelFlip.apply(new int[] {65}, perm));
        assertThrows(CollectivesException.class, () -> LabelFlip.permutation(1, 7));
    }

    @Test
    void shouldShiftTheHonestAggregate() {
        float[] out = new float[2];
        new LyingReducer(new Mean(), 0.5f).aggregate(HONEST, null, 2, out);
        assertArrayEquals(new float[] {2.5f, 1.5f}, out);
    }
}
