package dev.starling.coordinator.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.protocol.telemetry.PeerStatus;
import dev.starling.protocol.telemetry.RoundReport;
import dev.starling.protocol.telemetry.RunEvent;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunViewTest {
    private static final long S = 1_000_000_000L;

    static PeerStatus status(String id, long round, double loss) {
        return new PeerStatus(id, "2 cores", "cpu", 0, round, 10, 100, 4000, loss, 1000 * round, 900 * round, 5,
                "hash" + round);
    }

    @Test
    void shouldTrackPeersAndMarkThemLostAfterTheLivenessWindow() {
        RunView view = new RunView(0, 0, 10 * S);
        assertTrue(view.accept(status("a", 1, 3.0), "a", 1 * S));
        assertTrue(view.accept(status("b", 1, 3.1), "b", 2 * S));
        assertEquals(2, view.snapshot().peers().size());
        view.tick(11 * S + S / 2);
        List<RunSnapshot.PeerRow> rows = view.snapshot().peers();
        assertTrue(rows.stream().filter(r -> r.status().peerId().equals("a")).allMatch(r -> !r.alive()));
        assertTrue(rows.stream().filter(r -> r.status().peerId().equals("b")).allMatch(RunSnapshot.PeerRow::alive));
        view.tick(12 * S);
        long left = view.snapshot().events().stream().filter(e -> e.event().kind() == RunEvent.Kind.LEFT).count();
        assertEquals(1, left, "a lost peer is reported once, not at every tick");
    }

    @Test
    void shouldKeepEachStatusTrafficForTheBandwidthChartAndTheModelShapeForTheStageMap() {
        RunView view = new RunView(0, 0, 10 * S);
        assertEquals(0, view.snapshot().stages(), "unknown before the manifest");
        view.setShape(1, 4, S);
        view.accept(status("a", 1, 3.0), "a", 2 * S);
        view.accept(status("a", 2, 2.9), "a", 4 * S);
        RunSnapshot s = view.snapshot();
        assertEquals(1, s.stages());
        assertEquals(4, s.layers());
        assertEquals(List.of(1000L, 2000L), s.losses().stream().map(RunSnapshot.LossPoint::bytesSent).toList());
        assertEquals(List.of(900L, 1800L), s.losses().stream().map(RunSnapshot.LossPoint::bytesReceived).toList());
        assertEquals(1, DashboardServer.summary(s).get("stages"));
    }

    @Test
    void shouldIgnoreStatusSentOnBehalfOfAnotherPeer() {
        RunView view = new RunView(0, 0, 10 * S);
        assertFalse(view.accept(status("victim", 1, 99.0), "liar", S));
        assertTrue(view.snapshot().peers().isEmpty());
    }

    @Test
    void shouldIgnoreBannedPeersAndRecordTheBan() {
        RunView view = new RunView(0, 0, 10 * S);
        view.accept(status("a", 1, 3.0), "a", S);
        view.ban("a", "sent poison", 2 * S);
        assertFalse(view.accept(status("a", 2, 2.0), "a", 3 * S));
        assertTrue(view.snapshot().peers().getFirst().banned());
        assertEquals(RunEvent.Kind.BANNED, view.snapshot().events().getLast().event().kind());
    }

    @Test
    void shouldKeepRoundsInOrderAndDropReplays() {
        RunView view = new RunView(0, 0, 10 * S);
        assertTrue(view.accept(new RoundReport(1, 3, 100, 1000, 4, 2.5, "h1", 0), "a", S));
        assertTrue(view.accept(new RoundReport(2, 3, 100, 1000, 4, 2.4, "h2", 0), "a", S));
        assertFalse(view.accept(new RoundReport(2, 3, 100, 1000, 4, 0.1, "evil", 0), "b", S));
        assertEquals(List.of(1L, 2L), view.snapshot().rounds().stream().map(RoundReport::round).toList());
    }

    @Test
    void shouldCapEventsAndIncreaseVersionOnEveryChange() {
        RunView view = new RunView(0, 0, 10 * S);
        long before = view.snapshot().version();
        for (int i = 0; i < RunView.MAX_EVENTS + 50; i++) {
            view.accept(new RunEvent(RunEvent.Kind.ACCUSED, "p" + i, "bad part"), "x", S);
        }
        assertEquals(RunView.MAX_EVENTS, view.snapshot().events().size());
        assertEquals("p50", view.snapshot().events().getFirst().event().peerId());
        assertEquals(before + RunView.MAX_EVENTS + 50, view.snapshot().version());
    }
}
