package dev.starling.coordinator.dashboard;

import dev.starling.protocol.telemetry.RoundReport;

/**
 * Renders a {@link RunSnapshot} in Prometheus's text exposition format (version 0.0.4).
 * Stateless; any thread.
 */
final class PrometheusText {
    private PrometheusText() {
    }

    static String render(RunSnapshot s) {
        StringBuilder out = new StringBuilder(4096);
        long alive = s.peers().stream().filter(RunSnapshot.PeerRow::alive).count();
        gauge(out, "starling_peers_alive", "Peers heard within the liveness window.", alive);
        gauge(out, "starling_peers_seen", "Peers heard since the coordinator started.", s.peers().size());
        long bannedCount = s.peers().stream().filter(RunSnapshot.PeerRow::banned).count();
        gauge(out, "starling_peers_banned", "Peers banned.", bannedCount);
        RoundReport last = s.rounds().isEmpty() ? null : s.rounds().getLast();
        gauge(out, "starling_round", "Last completed outer round.", last == null ? 0 : last.round());
        long roundBytes = s.rounds().stream().mapToLong(RoundReport::bytesSent).sum();
        counter(out, "starling_round_bytes_total", "Bytes sent by groups in the kept rounds.", roundBytes);
        long rejected = s.rounds().stream().mapToLong(RoundReport::rejected).sum();
        counter(out, "starling_rejected_updates_total", "Contributions rejected in the kept rounds.", rejected);
        double valLoss = s.rounds().stream().mapToDouble(RoundReport::valLoss).filter(v -> !Double.isNaN(v))
                .reduce((a, b) -> b).orElse(Double.NaN);
        gauge(out, "starling_val_loss", "Validation loss after the last round that measured it.", valLoss);
        header(out, "starling_peer_tokens_per_second", "gauge", "Training throughput reported by each peer.");
        for (RunSnapshot.PeerRow row : s.peers()) {
            sample(out, "starling_peer_tokens_per_second", row.status().peerId(), row.status().tokensPerS());
        }
        header(out, "starling_peer_bytes_sent_total", "counter", "Bytes each peer reports having sent.");
        for (RunSnapshot.PeerRow row : s.peers()) {
            sample(out, "starling_peer_bytes_sent_total", row.status().peerId(), row.status().bytesSent());
        }
        header(out, "starling_peer_train_loss", "gauge", "Training loss reported by each peer.");
        for (RunSnapshot.PeerRow row : s.peers()) {
            sample(out, "starling_peer_train_loss", row.status().peerId(), row.status().trainLoss());
        }
        return out.toString();
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, double value) {
        header(out, name, "gauge", help);
        out.append(name).append(' ').append(number(value)).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, double value) {
        header(out, name, "counter", help);
        out.append(name).append(' ').append(number(value)).append('\n');
    }

    private static void sample(StringBuilder out, String name, String peer, double value) {
        out.append(name).append("{peer=\"").append(escape(peer)).append("\"} ").append(number(value)).append('\n');
    }

    private static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    static String escape(String label) {
        return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
