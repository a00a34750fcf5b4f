package dev.starling.peer.cli;

import dev.starling.peer.node.MeshDiloco;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;

/**
 * What a running peer tells the person who started it, on stderr. On a terminal: one live progress line
 * (round, inner step / H, tokens/s, loss, group size, MB sent and received, short state hash), redrawn in place at
 * most {@link #REDRAW_NANOS} apart, plus one line per event that matters (joined, round done, peer lost, banned,
 * leaving). Off a terminal: no progress line, one {@code key=value} line per event (logfmt), so logs stay greppable.
 * Thread: the peer's training thread calls everything; time is passed in as {@code nowNanos}.
 */
public abstract sealed class PeerConsole permits PeerConsole.LiveLine, PeerConsole.Logfmt {
    /** Shortest time between two redraws of the live line. */
    public static final long REDRAW_NANOS = 100_000_000L;

    private final long tokensPerStep;
    private long round = 1;
    private long lastStepNanos;
    private double tokensPerS = Double.NaN;
    private int lastGroupSize;
    private long bytesSent;
    private long bytesReceived;
    private String stateHash = "";
    private int innerSteps;
    private double lastLoss = Double.NaN;

    PeerConsole(long tokensPerStep, long nowNanos) {
        this.tokensPerStep = tokensPerStep;
        this.lastStepNanos = nowNanos;
    }

    /**
     * Picks the live line when stderr is a terminal, else logfmt.
     *
     * @param out           stderr
     * @param mode          {@code auto}, {@code live} or {@code logfmt}
     * @param tokensPerStep tokens one inner step trains on (batch × sequence length)
     * @param nowNanos      the clock now
     * @return the console
     */
    public static PeerConsole create(PrintStream out, String mode, long tokensPerStep, long nowNanos) {
        boolean live = switch (mode) {
            case "live" -> true;
            case "logfmt" -> false;
            default -> stderrIsTerminal();
        };
        return live ? new LiveLine(out, tokensPerStep, nowNanos) : new Logfmt(out, tokensPerStep, nowNanos);
    }

    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            java.io.Console console = System.console();
            return console != null && console.isTerminal();
        }
    }

    /**
     * The peer joined the run.
     *
     * @param peerId  this peer
     * @param runId   the run
     * @param device  the device it trains on
     * @param because why that device, one phrase
     */
    public final void joined(String peerId, String runId, String device, String because) {
        event("joined", "joined run " + runId.substring(0, Math.min(16, runId.length())) + " as " + peerId
                + " (device " + device + ": " + because + ")", "peer", peerId, "run", runId, "device", device,
                "device_reason", because);
    }

    /**
     * One inner step is done.
     *
     * @param step     steps done in this phase
     * @param of       H
     * @param loss     the step's loss
     * @param nowNanos the clock now
     */
    public final void innerStep(int step, int of, double loss, long nowNanos) {
        long elapsed = nowNanos - lastStepNanos;
        lastStepNanos = nowNanos;
        if (elapsed > 0) {
            double now = tokensPerStep * 1e9 / elapsed;
            tokensPerS = Double.isNaN(tokensPerS) ? now : 0.8 * tokensPerS + 0.2 * now;
        }
        innerSteps = of;
        lastLoss = loss;
        progress(liveLine(step), step == of, nowNanos);
    }

    private String liveLine(int step) {
        return String.format(Locale.ROOT, "round %d  step %d/%d  %.0f tok/s  loss %.4f  group %d  sent %.2f MB"
                        + "  recv %.2f MB  state %s", round, step, innerSteps, tokensPerS, lastLoss, lastGroupSize,
                bytesSent / 1e6, bytesReceived / 1e6, shortHash());
    }

    /**
     * A round ended (or was sat out); also reports a lost peer when members failed or the group shrank.
     *
     * @param o        the round's outcome
     * @param nowNanos the clock now
     */
    public final void roundDone(MeshDiloco.RoundOutcome o, long nowNanos) {
        bytesSent += o.bytesSent();
        bytesReceived += o.bytesReceived();
        stateHash = o.stateHash();
        lastStepNanos = nowNanos;
        if (o.groupSize() == 0) {
            event("round_skipped", String.format(Locale.ROOT, "round %d sat out: no group formed", o.round()),
                    "round", o.round());
        } else {
            String val = Double.isNaN(o.valLoss()) ? "" : String.format(Locale.ROOT, ", val loss %.4f", o.valLoss());
            event("round_done", String.format(Locale.ROOT, "round %d done: group %d, inner loss %.4f%s, sent %.2f MB,"
                            + " %d ms, state %s", o.round(), o.groupSize(), o.innerLoss(), val, o.bytesSent() / 1e6,
                    o.roundMillis(), shortHash()), "round", o.round(), "group", o.groupSize(), "inner_loss",
                    o.innerLoss(), "val_loss", o.valLoss(), "bytes_sent", o.bytesSent(), "bytes_received",
                    o.bytesReceived(), "ms", o.roundMillis(), "tokens_per_s", o.tokensPerS(), "state", o.stateHash());
            if (o.faults() > 0) {
                event("peer_lost", String.format(Locale.ROOT, "round %d: %d member(s) failed; the round completed"
                        + " without them", o.round(), o.faults()), "round", o.round(), "failed", o.faults());
            } else if (lastGroupSize > o.groupSize()) {
                event("peer_lost", String.format(Locale.ROOT, "round %d: the group shrank from %d to %d", o.round(),
                        lastGroupSize, o.groupSize()), "round", o.round(), "from", lastGroupSize, "to", o.groupSize());
            }
            lastGroupSize = o.groupSize();
        }
        round = o.round() + 1;
        progress(liveLine(0), true, nowNanos);
    }

    /**
     * A peer (possibly this one) was banned from the run.
     *
     * @param peerId the banned peer
     * @param reason why, as the run said
     */
    public final void banned(String peerId, String reason) {
        event("banned", "banned: " + peerId + " (" + reason + ")", "peer", peerId, "reason", reason);
    }

    /**
     * The peer is leaving.
     *
     * @param reason why, one phrase
     */
    public final void leaving(String reason) {
        progress("", false, Long.MIN_VALUE);
        event("leaving", "leaving: " + reason, "reason", reason);
    }

    private String shortHash() {
        return stateHash.isEmpty() ? "-" : stateHash.substring(0, Math.min(12, stateHash.length()));
    }

    abstract void progress(String line, boolean force, long nowNanos);

    abstract void event(String name, String text, Object... fields);

    /** A terminal: the live line, redrawn in place, with event lines above it. */
    static final class LiveLine extends PeerConsole {
        private final PrintStream out;
        private String line = "";
        private long drawnNanos = Long.MIN_VALUE;

        LiveLine(PrintStream out, long tokensPerStep, long nowNanos) {
            super(tokensPerStep, nowNanos);
            this.out = out;
        }

        @Override
        void progress(String text, boolean force, long nowNanos) {
            line = text;
            if (!text.isEmpty() && (force || drawnNanos == Long.MIN_VALUE || nowNanos - drawnNanos >= REDRAW_NANOS)) {
                drawnNanos = nowNanos;
                out.print("\r\033[K" + line);
                out.flush();
            }
        }

        @Override
        void event(String name, String text, Object... fields) {
            out.print("\r\033[K" + text + "\n" + line);
            out.flush();
        }
    }

    /** Not a terminal: one logfmt line per event, no progress line. */
    static final class Logfmt extends PeerConsole {
        private final PrintStream out;

        Logfmt(PrintStream out, long tokensPerStep, long nowNanos) {
            super(tokensPerStep, nowNanos);
            this.out = out;
        }

        @Override
        void progress(String text, boolean force, long nowNanos) {
            // off a terminal, progress goes out as the round_done event instead
        }

        @Override
        void event(String name, String text, Object... fields) {
            StringBuilder b = new StringBuilder("ts=").append(Instant.now()).append(" event=").append(name);
            for (int i = 0; i + 1 < fields.length; i += 2) {
                b.append(' ').append(fields[i]).append('=').append(value(fields[i + 1]));
            }
            out.println(b);
        }

        static String value(Object v) {
            String s = v instanceof Double d ? (d.isNaN() ? "" : String.format(Locale.ROOT, "%.6g", d))
                    : String.valueOf(v);
            if (!s.isEmpty() && s.chars().noneMatch(c -> c <= ' ' || c == '"' || c == '=' || c == '\\' || c > 126)) {
                return s;
            }
            StringBuilder q = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> q.append("\\\"");
                    case '\\' -> q.append("\\\\");
                    case '\n' -> q.append("\\n");
                    default -> q.append(c < ' ' ? ' ' : c);
                }
            }
            return q.append('"').toString();
        }
    }
}
