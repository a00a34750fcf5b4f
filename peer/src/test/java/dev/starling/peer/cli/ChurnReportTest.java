package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ChurnReportTest {
    private double now;

    private ChurnReport report() {
        return new ChurnReport(3, 50, () -> now);
    }

    private static String round(long r, int group, String val, long ms, String hash) {
        return "round " + r + "  group " + group + "  inner loss 3.1000" + (val == null ? "" : "  val " + val)
                + "  900 tok/s  sent 0.27 MB (4x less than fp32)  " + ms + " ms  state " + hash;
    }

    @Test
    void shouldCountRoundsMismatchesHangsAndRecovery() {
        ChurnReport r = report();
        now = 1;
        r.line(0, round(1, 3, "4.1000", 800, "aaaaaaaaaaaa"));
        r.line(1, round(1, 3, null, 800, "aaaaaaaaaaaa"));
        r.line(2, round(1, 3, null, 800, "aaaaaaaaaaaa"));
        now = 2;
        r.killed(2);
        r.line(0, round(2, 2, "3.5000", 60_000, "bbbbbbbbbbbb"));
        r.line(1, round(2, 2, null, 700, "cccccccccccc"));
        now = 5;
        r.restarted(2);
        now = 6;
        r.line(2, "state sync: round 1, 1.25 MB from 2 peers in 150 ms");
        now = 7;
        r.line(2, "state sync: round 2, 1.25 MB from 2 peers in 150 ms"); // the run moved on: caught up again
        now = 9;
        r.line(2, round(3, 3, null, 700, "dddddddddddd"));
        r.line(0, "ts=2026-11-22T06:00:00Z event=round_done round=3 group=3 inner_loss=3.10000 val_loss=3.00000"
                + " bytes_sent=1 bytes_received=1 ms=700 tokens_per_s=900.000 state=dddddddddddd");
        r.line(1, "round 4  sat out (no group formed)  inner loss 3.0000");
        r.exited(0, 0);
        r.exited(1, 0);
        r.exited(2, -1);
        Map<String, Object> s = r.summary(100e6);
        assertEquals(3, s.get("rounds"));
        assertEquals(1L, s.get("hash_mismatches"));
        assertEquals(2, s.get("hangs"), "one round over its deadline, one peer that ignored SIGTERM");
        assertEquals(7.0, (double) s.get("mttr_s"), 1e-9);
        assertEquals(1, s.get("joins"), "two downloads in a row before a round are one join");
        assertEquals(2, s.get("downloads"));
        assertEquals(1, s.get("joins_in_next_round"));
        assertEquals(1.5, (double) s.get("join_time_ratio"), 1e-9, "150 ms against 100 ms raw");
        assertEquals(4.1, (double) s.get("val_loss_start"), 1e-9);
        assertEquals(3.0, (double) s.get("val_loss_end"), 1e-9);
        assertEquals(2L, s.get("graceful_exits"));
    }
}
