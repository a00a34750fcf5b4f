package dev.starling.training.byzantine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.attack.PeerAttack;
import dev.starling.model.GptConfig;
import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;
import dev.starling.optimizer.outer.OuterNesterovConfig;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import dev.starling.training.diloco.Evaluator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Six tiny peers, two attackers: the verified CenteredClip run bans liars and nobody else. */
class ByzantineRunTest {
    private static final TokenDataset DATA = DataSources.fromText(DataSources.builtinText().substring(0, 20_000),
        "char", "tiny shakespeare slice");
    private static final GptConfig MODEL = new GptConfig(DATA.vocabSize(), 8, 1, 2, 16, 0f, true);
    private static final ByzantineSettings SETTINGS = new ByzantineSettings(new TrainConfig(MODEL, 2, 8, 6,
        new AdamWConfig(0.9f, 0.99f, 1e-8f, 0.1f, false), new CosineSchedule(1e-2f, 1e-3f, 1, 6), 1f, 0, 1, 1, 7,
        BatchSampler.Order.RANDOM), 6, 2, 3, 2, 0.05, 0.3, 5000, 2, 2, 4.0, 10.0, 2.0, 0.01f,
        new OuterNesterovConfig(1.0f, 0.0f));
    private static ParallelFor pool;
    private static Evaluator eval;

    @BeforeAll
    static void start() {
        pool = new ParallelFor(1);
        eval = new Evaluator(MODEL, DATA, 2, 8, 2, 11, pool);
    }

    @AfterAll
    static void stop() {
        eval.close();
        pool.close();
    }

    @Test
    void shouldBanEveryLyingReducerInTheFirstRoundAndNoHonestPeer() {
        ByzantineRun.Outcome o = new ByzantineRun(SETTINGS, DATA, pool, eval)
            .run(Defence.CENTERED_CLIP_VERIFIED, PeerAttack.LYING_REDUCER, 2);
        assertEquals(List.of("peer-4", "peer-5"), o.bans().stream().map(ByzantineRun.BanEvent::peer).toList());
        assertTrue(o.bans().stream().allMatch(b -> b.round() == 1 && !b.honest()), o.bans().toString());
        assertFalse(o.diverged());
        assertTrue(o.auditBytes() > 0 && o.auditBytes() < o.butterflyBytes(), o.auditBytes() + " audit bytes");
    }

    @Test
    void shouldBanNobodyWhenAttackersOnlySendBadUpdates() {
        ByzantineRun runner = new ByzantineRun(SETTINGS, DATA, pool, eval);
        for (PeerAttack a : List.of(PeerAttack.ALIE, PeerAttack.IPM, PeerAttack.MIMIC, PeerAttack.STALE_REPLAY,
                PeerAttack.LABEL_FLIP)) {
            ByzantineRun.Outcome o = runner.run(Defence.CENTERED_CLIP_VERIFIED, a, 2);
            assertTrue(o.bans().isEmpty(), a + ": " + o.bans());
            assertEquals(4, o.curve().size());
            assertTrue(Double.isFinite(o.quietAuditRatio()));
        }
    }

    @Test
    void shouldLetALyingReducerCorruptAnUnverifiedMean() {
        ByzantineRun runner = new ByzantineRun(SETTINGS, DATA, pool, eval);
        ByzantineRun.Outcome clean = runner.run(Defence.MEAN, PeerAttack.SIGN_FLIP, 0);
        ByzantineRun.Outcome lied = runner.run(Defence.MEAN, PeerAttack.LYING_REDUCER, 2);
        assertTrue(lied.bans().isEmpty());
        assertTrue(lied.finalValLoss() != clean.finalValLoss());
        Map<String, Object> summary = ByzantineReport.summary(List.of(new ByzantineExperiment.Timed(clean, 0),
            new ByzantineExperiment.Timed(lied, 0)));
        assertEquals(0, summary.get("honest_banned"));
    }
}
