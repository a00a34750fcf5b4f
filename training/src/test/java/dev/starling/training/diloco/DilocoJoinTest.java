package dev.starling.training.diloco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.fault.sync.StateImage;
import dev.starling.fault.sync.StateManifest;
import dev.starling.tensor.cpu.ParallelFor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DilocoJoinTest {
    @Test
    void shouldLetAJoinerTakeOverTheSharedStateAndKeepParityInTheNextRound() {
        OuterConfig outer = TinyRun.outer(3, BlockQuantCodec.int8(64), BlockQuantCodec.int8(64), new Mean());
        List<DilocoPeer> peers = new ArrayList<>();
        try (ParallelFor pool = new ParallelFor(1)) {
            for (int i = 0; i < 3; i++) {
                peers.add(new DilocoPeer(i, TinyRun.train(2, 40), outer, TinyRun.DATA, pool, TinyRun.RUN_ID));
            }
            DilocoGroup three = new DilocoGroup(peers, new InProcessExchange(1_000_000));
            three.round();
            three.round();
            StateImage state = peers.getFirst().exportState(2);
            assertEquals(6, state.innerSteps());
            assertEquals(peers.getFirst().globalHash(), state.thetaHash(), "the image's θ hash is the gossiped one");
            byte[] wire = state.concatenated();
            StateImage received = StateImage.split(StateManifest.describe(state, wire, 1024), wire);

            DilocoPeer joiner = new DilocoPeer(3, TinyRun.train(2, 40), outer, TinyRun.DATA, pool, TinyRun.RUN_ID);
            peers.add(joiner);
            joiner.importState(received);
            assertEquals(peers.getFirst().globalHash(), joiner.globalHash());
            assertEquals(6, joiner.innerSteps(), "the schedule continues where the group is");
            assertArrayEquals(joiner.thetaGlobal(), joiner.model().parameters().data());

            DilocoGroup.RoundReport report = new DilocoGroup(peers, new InProcessExchange(1_000_000)).round();
            assertEquals(4, report.hashes().size());
            assertTrue(report.inParity(), report.hashes().toString());
            IllegalArgumentException wrongModel = assertThrows(IllegalArgumentException.class, () -> joiner
                    .importState(new StateImage(1, 0, List.of(StateImage.Section.ofFloats("theta", new float[3])))));
            assertTrue(wrongModel.getMessage().contains("parameters"), wrongModel.getMessage());
        } finally {
            peers.forEach(DilocoPeer::close);
        }
    }
}
