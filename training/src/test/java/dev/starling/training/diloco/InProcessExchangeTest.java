package dev.starling.training.diloco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.butterfly.ButterflyConfig;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.codec.Fp32Codec;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InProcessExchangeTest {
    private static final List<String> ROSTER = List.of("a", "b", "c", "d");
    private static final int LENGTH = 103;

    private static ButterflyMember[] members(final InProcessExchange exchange) {
        GroupExchange.Deadlines d = exchange.nextDeadlines();
        ButterflyMember[] members = new ButterflyMember[ROSTER.size()];
        for (int m = 0; m < members.length; m++) {
            members[m] = new ButterflyMember(new ButterflyConfig(ROSTER, m, LENGTH, PartSplit.even(),
                Fp32Codec.INSTANCE, Fp32Codec.INSTANCE, new Mean(), null, null, 42, 0, d.reduceNanos(),
                d.gatherNanos()), null);
        }
        return members;
    }

    private static float[][] updates() {
        SplittableRandom random = new SplittableRandom(5);
        float[][] u = new float[ROSTER.size()][LENGTH];
        for (float[] row : u) {
            for (int i = 0; i < LENGTH; i++) {
                row[i] = (float) random.nextGaussian();
            }
        }
        return u;
    }

    @Test
    void shouldGiveEveryMemberTheMeanAndCountHeaderPlusPayload() {
        InProcessExchange exchange = new InProcessExchange(1_000);
        float[][] u = updates();
        ExchangeReport report = exchange.run(members(exchange), u);
        for (int m = 0; m < ROSTER.size(); m++) {
            assertArrayEquals(report.results()[0].aggregate(), report.results()[m].aggregate());
            int own = PartSplit.even().length(m, ROSTER.size(), LENGTH);
            long expected = 3L * (56 + 4L * own) + (3L * 56 + 4L * (LENGTH - own));
            assertEquals(expected, report.bytesSent()[m], "member " + m);
            assertEquals(6, report.chunks()[m]);
        }
        for (int i = 0; i < LENGTH; i++) {
            double mean = (u[0][i] + u[1][i] + u[2][i] + u[3][i]) / 4.0;
            assertEquals(mean, report.results()[2].aggregate()[i], 1e-6);
        }
        assertEquals(0, exchange.nowNanos(), "nobody waited for a deadline");
    }

    @Test
    void shouldFinishWithoutAMemberThatDiesBeforeSendingAnything() {
        InProcessExchange exchange = new InProcessExchange(1_000);
        exchange.crashAfter(1, 0);
        ExchangeReport report = exchange.run(members(exchange), updates());
        assertNull(report.results()[1]);
        assertEquals(0, report.bytesSent()[1]);
        int offset = PartSplit.even().offset(1, 4, LENGTH);
        for (int m : new int[] {0, 2, 3}) {
            assertArrayEquals(report.results()[0].aggregate(), report.results()[m].aggregate());
            assertEquals(List.of(1), report.results()[m].missingParts());
            assertEquals(List.of(1), report.results()[m].missingContributors());
            assertEquals(0f, report.results()[m].aggregate()[offset]);
        }
        assertEquals(2_000, exchange.nowNanos(), "the round ran into its gather deadline");
    }
}
