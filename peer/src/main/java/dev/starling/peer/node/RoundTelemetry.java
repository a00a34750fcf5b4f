package dev.starling.peer.node;

import dev.starling.protocol.telemetry.PeerStatus;
import dev.starling.protocol.telemetry.RoundReport;
import java.util.Locale;

/**
 * Turns a peer's round outcomes into telemetry and console lines, keeping its running totals.
 * Used on the training thread only.
 */
public final class RoundTelemetry {
    private final PeerNode node;
    private final String hardware;
    private final long startNanos = System.nanoTime();
    private long bytesSent;
    private long bytesReceived;

    /**
     * Creates the reporter.
     *
     * @param node    the peer's node
     * @param threads training threads, for the hardware line
     */
    public RoundTelemetry(PeerNode node, int threads) {
        this.node = node;
        this.hardware = threads + (threads == 1 ? " thread, " : " threads, ") + (Runtime.getRuntime().maxMemory() >> 20)
                + " MiB heap";
    }

    /**
     * Publishes the peer's status, and the round report when this peer led the round.
     *
     * @param o the round's outcome
     */
    public void publish(MeshDiloco.RoundOutcome o) {
        bytesSent += o.bytesSent();
        bytesReceived += o.bytesReceived();
        int h = node.manifest().inner().steps();
        node.publish(new PeerStatus(node.peerId(), hardware, "cpu", 0, o.round(), h, h, o.tokensPerS(), o.innerLoss(),
                bytesSent, bytesReceived, (System.nanoTime() - startNanos) / 1_000_000_000L, o.stateHash()));
        if (o.leader()) {
            node.publish(new RoundReport(o.round(), o.groupSize(), o.roundMillis(), o.bytesSent() * o.groupSize(),
                    o.compressionRatio(), o.valLoss(), o.stateHash(), o.faults()));
        }
    }

    /**
     * One console line for the round.
     *
     * @param o the round's outcome
     * @return the line
     */
    public String line(MeshDiloco.RoundOutcome o) {
        if (o.groupSize() == 0) {
            return String.format(Locale.ROOT, "round %d  sat out (no group formed)  inner loss %.4f", o.round(),
                    o.innerLoss());
        }
        return String.format(Locale.ROOT, "round %d  group %d  inner loss %.4f%s  %.0f tok/s  sent %.2f MB"
                        + " (%.0fx less than fp32)  %d ms  state %s", o.round(), o.groupSize(), o.innerLoss(),
                Double.isNaN(o.valLoss()) ? "" : String.format(Locale.ROOT, "  val %.4f", o.valLoss()),
                o.tokensPerS(), o.bytesSent() / 1e6, o.compressionRatio(), o.roundMillis(),
                o.stateHash().substring(0, 12));
    }

    /**
     * Bytes this peer has sent in rounds so far.
     *
     * @return the total
     */
    public long bytesSent() {
        return bytesSent;
    }
}
