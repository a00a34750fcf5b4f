package dev.starling.training.diloco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The network CO2 path ({@code takeUpdate} when the inner phase ends, {@code applyOverlapped} of the previous
 * round's aggregate, as the mesh loop calls them) against the in-process one ({@code beginRound} then
 * {@code finishRound}, which keeps one aggregate pending): fed the same aggregates they must hold bit-identical
 * θ_global and local weights after every round.
 */
class OverlappedRoundsTest {
    private static final int PEERS = 2;
    private static final int ROUNDS = 4;

    @Test
    void shouldMatchTheInProcessCo2Exactly() {
        try (ParallelFor pool = new ParallelFor(1)) {
            List<DilocoPeer> inProcess = peers(pool);
            List<DilocoPeer> network = peers(pool);
            List<String> roster = inProcess.stream().map(DilocoPeer::name).toList();
            float[] previous = null;
            try {
                for (int r = 1; r <= ROUNDS; r++) {
                    for (int p = 0; p < PEERS; p++) {
                        inProcess.get(p).innerPhase();
                        network.get(p).innerPhase();
                        inProcess.get(p).beginRound(r, roster, new GroupExchange.Deadlines(0, 0));
                        network.get(p).takeUpdate();
                        assertArrayEquals(inProcess.get(p).update(), network.get(p).update(), "round " + r);
                    }
                    float[] mean = mean(network);
                    for (int p = 0; p < PEERS; p++) {
                        inProcess.get(p).finishRound(result(mean));
                        network.get(p).applyOverlapped(previous == null ? null : result(previous));
                        assertEquals(inProcess.get(p).globalHash(), network.get(p).globalHash(), "round " + r);
                        assertArrayEquals(inProcess.get(p).model().parameters().data(),
                                network.get(p).model().parameters().data(), "local weights, round " + r);
                    }
                    previous = mean;
                }
            } finally {
                inProcess.forEach(DilocoPeer::close);
                network.forEach(DilocoPeer::close);
            }
        }
    }

    @Test
    void shouldRefuseOverlappedApplicationWithoutCo2() {
        try (ParallelFor pool = new ParallelFor(1);
             DilocoPeer peer = new DilocoPeer(0, TinyRun.train(2, 8), TinyRun.outer(2, BlockQuantCodec.int8(64),
                     BlockQuantCodec.int8(64), new Mean()), TinyRun.DATA, pool,
                     TinyRun.RUN_ID)) {
            ButterflyResult r = result(new float[peer.thetaGlobal().length]);
            assertThrows(IllegalStateException.class, () -> peer.applyOverlapped(r));
        }
    }

    private static List<DilocoPeer> peers(ParallelFor pool) {
        List<DilocoPeer> peers = new ArrayList<>();
        for (int i = 0; i < PEERS; i++) {
            peers.add(new DilocoPeer(i, TinyRun.train(2, 40), TinyRun.co2(3, BlockQuantCodec.int8(64)), TinyRun.DATA,
                    pool, TinyRun.RUN_ID));
        }
        return peers;
    }

    private static float[] mean(List<DilocoPeer> peers) {
        float[] out = new float[peers.getFirst().update().length];
        for (DilocoPeer p : peers) {
            float[] u = p.update();
            for (int i = 0; i < out.length; i++) out[i] += u[i] / PEERS;
        }
        return out;
    }

    private static ButterflyResult result(float[] aggregate) {
        return new ButterflyResult(aggregate.clone(), List.of(), List.of(), List.of());
    }
}
