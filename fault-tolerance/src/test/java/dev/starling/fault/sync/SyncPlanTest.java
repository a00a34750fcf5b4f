package dev.starling.fault.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SyncPlanTest {
    private static final long MS = 1_000_000L;

    static StateImage image(int floats, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] theta = new float[floats];
        float[] momentum = new float[floats];
        for (int i = 0; i < floats; i++) {
            theta[i] = (float) r.nextGaussian();
            momentum[i] = (float) r.nextGaussian() * 0.01f;
        }
        return new StateImage(7, 70, List.of(StateImage.Section.ofFloats("theta", theta),
                StateImage.Section.ofFloats("outer.momentum", momentum)));
    }

    private static SyncPlan.Settings settings() {
        return new SyncPlan.Settings(2, 200 * MS, 100 * MS, 5000 * MS, 4);
    }

    /** Answers every request at once from the true bytes, except what the test overrides. */
    private interface Behaviour {
        byte[] answer(int chunk, byte[] truth);
    }

    private static void drive(SyncPlan plan, StateManifest m, byte[] truth, java.util.Map<String, Behaviour> who) {
        long now = 0;
        for (int tick = 0; tick < 10_000 && plan.state() == SyncPlan.State.RUNNING; tick++) {
            Deque<SyncPlan.Request> requests = new ArrayDeque<>(plan.next(now));
            now += 10 * MS;
            for (SyncPlan.Request r : requests) {
                int off = r.chunk() * m.chunkBytes();
                byte[] correct = java.util.Arrays.copyOfRange(truth, off, off + m.chunkLength(r.chunk()));
                byte[] answer = who.get(r.source()).answer(r.chunk(), correct);
                if (answer != null) {
                    plan.onChunk(r.source(), r.chunk(), answer, 0, answer.length, now);
                }
            }
        }
    }

    @Test
    void shouldAssembleTheImageFromSeveralSourcesInParallel() {
        StateImage image = image(5000, 1);
        byte[] truth = image.concatenated();
        StateManifest m = StateManifest.describe(image, truth, 4096);
        SyncPlan plan = new SyncPlan(m, settings(), List.of("a", "b", "c"));
        drive(plan, m, truth, java.util.Map.of("a", (c, t) -> t, "b", (c, t) -> t, "c", (c, t) -> t));
        assertEquals(SyncPlan.State.COMPLETE, plan.state());
        assertArrayEquals(truth, plan.image());
        assertEquals(image.thetaHash(), StateImage.split(m, plan.image()).thetaHash());
        assertEquals(image.thetaHash(), plan.thetaHash(), "the θ hash computed while the chunks arrived");
        assertTrue(plan.bytesBySource().values().stream().allMatch(b -> b > 0), "every source served a share");
    }

    @Test
    void shouldExcludeALiarAndASilentSourceAndStillCompleteFromTheHonestOne() {
        StateImage image = image(50_000, 2);
        byte[] truth = image.concatenated();
        StateManifest m = StateManifest.describe(image, truth, 4096);
        SyncPlan plan = new SyncPlan(m, settings(), List.of("liar", "short", "silent", "honest"));
        drive(plan, m, truth, java.util.Map.of(
                "liar", (c, t) -> {
                    byte[] bad = t.clone();
                    bad[0] ^= 1;
                    return bad;
                },
                "short", (c, t) -> java.util.Arrays.copyOf(t, t.length - 1),
                "silent", (c, t) -> null,
                "honest", (c, t) -> t));
        assertEquals(SyncPlan.State.COMPLETE, plan.state());
        assertArrayEquals(truth, plan.image());
        assertEquals(List.of("liar", "short", "silent"), List.copyOf(plan.excluded().keySet()));
        assertTrue(plan.excluded().get("silent").contains("too slow"), plan.excluded().toString());
        assertTrue(plan.excluded().get("liar").contains("does not match"), plan.excluded().toString());
        assertEquals(0L, plan.bytesBySource().get("silent"));
    }

    @Test
    void shouldStallWhenEverySourceDiesAndResumeWithANewOneKeepingWhatArrived() {
        StateImage image = image(5000, 3);
        byte[] truth = image.concatenated();
        StateManifest m = StateManifest.describe(image, truth, 4096);
        SyncPlan plan = new SyncPlan(m, settings(), List.of("dying"));
        List<SyncPlan.Request> first = plan.next(0);
        SyncPlan.Request r = first.getFirst();
        byte[] chunk = java.util.Arrays.copyOfRange(truth, r.chunk() * m.chunkBytes(),
                r.chunk() * m.chunkBytes() + m.chunkLength(r.chunk()));
        assertEquals(SyncPlan.Outcome.ACCEPTED, plan.onChunk("dying", r.chunk(), chunk, 0, chunk.length, MS));
        plan.onFailure("dying", first.get(1).chunk(), "connection lost");
        assertEquals(SyncPlan.State.STALLED, plan.state());
        assertEquals(1, plan.received());
        plan.addSource("fresh");
        drive(plan, m, truth, java.util.Map.of("fresh", (c, t) -> {
            assertTrue(c != r.chunk(), "a chunk already received was asked for again");
            return t;
        }));
        assertEquals(SyncPlan.State.COMPLETE, plan.state());
        assertArrayEquals(truth, plan.image());
        assertEquals(image.thetaHash(), plan.thetaHash(), "chunks out of order still hash to θ");
    }

    @Test
    void shouldIgnoreAnswersNobodyAskedFor() {
        StateImage image = image(1000, 4);
        byte[] truth = image.concatenated();
        StateManifest m = StateManifest.describe(image, truth, 1024);
        SyncPlan plan = new SyncPlan(m, settings(), List.of("a"));
        assertEquals(SyncPlan.Outcome.IGNORED, plan.onChunk("a", 0, truth, 0, 1024, 0));
        assertEquals(SyncPlan.Outcome.IGNORED, plan.onChunk("stranger", 0, truth, 0, 1024, 0));
        assertThrows(IllegalStateException.class, plan::image);
    }

    @Test
    void shouldRoundTripTheManifestAndRejectOneThatLiesAboutSizes() {
        StateImage image = image(3000, 5);
        byte[] truth = image.concatenated();
        StateManifest m = StateManifest.describe(image, truth, 2048);
        assertEquals(m, StateManifest.decode(m.encode()));
        byte[] wire = m.encode();
        java.nio.ByteBuffer.wrap(wire).putLong(8 + 8 + 4 + 1 + 2 + "theta".length(), 1L << 40);
        SyncException e = assertThrows(SyncException.class, () -> StateManifest.decode(wire));
        assertEquals(SyncException.Category.BAD_PEER, e.category());
        assertThrows(SyncException.class, () -> StateManifest.decode(java.util.Arrays.copyOf(wire, 30)));
    }
}
