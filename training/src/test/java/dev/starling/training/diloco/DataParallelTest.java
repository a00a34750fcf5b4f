package dev.starling.training.diloco;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.model.Activations;
import dev.starling.model.Gpt;
import dev.starling.model.data.BatchSampler;
import dev.starling.optimizer.AdamW;
import dev.starling.optimizer.GradClip;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DataParallelTest {
    private static ParallelFor pool;

    @BeforeAll
    static void startPool() {
        pool = new ParallelFor(1);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    @Test
    void shouldMatchOneModelTrainedOnTheConcatenatedBatch() {
        int b = 2;
        int t = 8;
        int steps = 4;
        TrainConfig perPeer = TinyRun.train(b, steps);
        TrainConfig joined = TinyRun.train(2 * b, steps);
        BatchSampler sampler = new BatchSampler(TinyRun.DATA.train(), 2 * b, t, BatchSampler.Order.RANDOM, 3);
        int[] x = new int[2 * b * t];
        int[] y = new int[2 * b * t];
        List<DataParallelPeer> peers = List.of(
            new DataParallelPeer(0, perPeer, TinyRun.DATA, pool, TinyRun.RUN_ID),
            new DataParallelPeer(1, perPeer, TinyRun.DATA, pool, TinyRun.RUN_ID));
        InProcessExchange exchange = new InProcessExchange(1_000);
        try (Gpt single = new Gpt(TinyRun.MODEL);
             AdamW adamw = new AdamW(joined.adamw(), single.parameters())) {
            single.initGpt2(joined.seed());
            Activations acts = new Activations(TinyRun.MODEL, 2 * b, t);
            GradClip clip = new GradClip();
            for (int s = 0; s < steps; s++) {
                sampler.next(x, y);
                // Peer k takes rows [k*b, (k+1)*b) of the joined batch.
                for (int k = 0; k < 2; k++) {
                    peers.get(k).computeGradient(java.util.Arrays.copyOfRange(x, k * b * t, (k + 1) * b * t),
                        java.util.Arrays.copyOfRange(y, k * b * t, (k + 1) * b * t));
                }
                List<String> roster = List.of("peer-0", "peer-1");
                GroupExchange.Deadlines d = exchange.nextDeadlines();
                ButterflyMember[] members = {peers.get(0).beginStep(roster, d), peers.get(1).beginStep(roster, d)};
                ExchangeReport report = exchange.run(members,
                    new float[][] {peers.get(0).gradient(), peers.get(1).gradient()});
                peers.get(0).applyStep(report.results()[0]);
                peers.get(1).applyStep(report.results()[1]);

                single.zeroGrad();
                single.forward(pool, acts, x, y, t, true, 0);
                single.backward(pool, acts, t);
                clip.clip(pool, single.gradients().data(), single.gradients().layout().size(), joined.gradClip());
                adamw.step(pool, single.parameters(), single.gradients(), joined.schedule().lr(s));
            }
            float[] expected = single.parameters().data();
            float[] p0 = peers.get(0).parameters();
            assertEquals(StateHash.of(p0), StateHash.of(peers.get(1).parameters()), "peers stay bit-identical");
            double maxDiff = 0;
            double moved = 0;
            float[] init = initialParameters(perPeer);
            for (int i = 0; i < expected.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(expected[i] - p0[i]));
                moved = Math.max(moved, Math.abs(expected[i] - init[i]));
            }
            assertTrue(moved > 1e-3, "training moved the parameters by " + moved);
            assertTrue(maxDiff < 1e-4, "data-parallel differs from the joined batch by " + maxDiff);
        } finally {
            peers.forEach(DataParallelPeer::close);
        }
    }

    private static float[] initialParameters(final TrainConfig config) {
        try (Gpt gpt = new Gpt(config.model())) {
            gpt.initGpt2(config.seed());
            return gpt.parameters().data().clone();
        }
    }

    @Test
    void shouldKeepPeersIdenticalAndCountEveryChunkByte() {
        int n = 3;
        List<DataParallelPeer> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            peers.add(new DataParallelPeer(i, TinyRun.train(2, 3), TinyRun.DATA, pool, TinyRun.RUN_ID));
        }
        try {
            DataParallelGroup group = new DataParallelGroup(peers, new InProcessExchange(1_000));
            for (int s = 0; s < 2; s++) {
                assertTrue(Double.isFinite(group.step()));
                assertEquals(1, peers.stream().map(p -> StateHash.of(p.parameters())).distinct().count());
            }
            int length = peers.getFirst().parameters().length;
            for (int m = 0; m < n; m++) {
                long perStep = 0;
                for (int part = 0; part < n; part++) {
                    long chunk = 56 + 4L * PartSplit.even().length(part, n, length);
                    perStep += part == m ? (n - 1) * chunk : chunk;
                }
                assertEquals(2 * perStep, group.bytesSent()[m], "peer " + m);
            }
        } finally {
            peers.forEach(DataParallelPeer::close);
        }
    }
}
