package dev.starling.training.byzantine;

import dev.starling.collectives.attack.PeerAttack;
import dev.starling.training.diloco.DilocoExperiment;
import dev.starling.training.diloco.ExperimentReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns the sweep into files (a CSV of runs, a CSV of curves, a PNG per attack, a markdown table) and the JSON
 * summary against the targets. Stateless; any thread.
 */
public final class ByzantineReport {
    /** CenteredClip + verification must end within this ratio of its own run without attackers. */
    public static final double ROBUST_TOLERANCE = 1.03;
    /** Mean "diverges" when it ends at least this much worse than without attackers. */
    public static final double MEAN_BREAKS = 1.20;
    /** A lying reducer must be banned within this many rounds. */
    public static final int BAN_WITHIN = 3;
    /** Verification may cost at most this share of the butterfly's bytes. */
    public static final double OVERHEAD_BUDGET = 0.05;

    private ByzantineReport() {
    }

    /**
     * Writes {@code runs.csv}, {@code curves.csv}, {@code table.md} and {@code val_loss_<attack>.png}.
     *
     * @param dir  output directory (created if missing)
     * @param runs the sweep
     * @throws UncheckedIOException when a file cannot be written
     */
    public static void write(final Path dir, final List<ByzantineExperiment.Timed> runs) {
        try {
            Files.createDirectories(dir);
            StringBuilder csv = new StringBuilder("run,defence,attack,f,final_val_loss,ratio_to_f0,diverged,bans,"
                + "honest_banned,last_liar_ban_round,butterfly_bytes,audit_bytes,audit_ratio,quiet_audit_ratio,"
                + "seconds\n");
            StringBuilder curves = new StringBuilder("run,round,tokens,bytes_per_peer,val_loss,train_loss\n");
            for (ByzantineExperiment.Timed t : runs) {
                ByzantineRun.Outcome o = t.outcome();
                csv.append(String.format(Locale.ROOT, "%s,%s,%s,%d,%.6f,%.4f,%b,%d,%d,%s,%d,%d,%.5f,%.5f,%.1f%n",
                    o.name(), o.defence().label(), o.attackLabel(),
                    o.attackers(), o.finalValLoss(), ratioToClean(runs, o), o.diverged(), o.bans().size(),
                    honestBanned(o), lastLiarBan(o) < 0 ? "" : Long.toString(lastLiarBan(o)), o.butterflyBytes(),
                    o.auditBytes(), (double) o.auditBytes() / Math.max(1, o.butterflyBytes()), o.quietAuditRatio(),
                    t.seconds()));
                for (int r = 0; r < o.curve().size(); r++) {
                    DilocoExperiment.Point p = o.curve().get(r);
                    curves.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%.6f,%.6f%n", o.name(), r, p.tokens(),
                        p.bytesPerPeer(), p.valLoss(), p.trainLoss()));
                }
            }
            Files.writeString(dir.resolve("runs.csv"), csv.toString());
            Files.writeString(dir.resolve("curves.csv"), curves.toString());
            Files.writeString(dir.resolve("table.md"), table(runs));
            for (String a : attacks(runs)) {
                plotAttack(dir, runs, a);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the byzantine results to " + dir, e);
        }
    }

    /**
     * The summary for the JSON line.
     *
     * @param runs the sweep
     * @return ordered fields
     */
    public static Map<String, Object> summary(final List<ByzantineExperiment.Timed> runs) {
        double worst = 0;
        String worstRun = null;
        double quiet = 0;
        double total = 0;
        List<String> meanBroken = new ArrayList<>();
        int honestBanned = 0;
        long maxBanRound = 0;
        boolean liarEscaped = false;
        for (ByzantineExperiment.Timed t : runs) {
            ByzantineRun.Outcome o = t.outcome();
            honestBanned += honestBanned(o);
            if (o.attackers() == 0) {
                continue;
            }
            double ratio = ratioToClean(runs, o);
            if (o.defence().verified()) {
                if (ratio > worst) {
                    worst = ratio;
                    worstRun = o.name();
                }
                if (!Double.isNaN(o.quietAuditRatio())) {
                    quiet = Math.max(quiet, o.quietAuditRatio());
                }
                total = Math.max(total, (double) o.auditBytes() / Math.max(1, o.butterflyBytes()));
                if (o.attack() == PeerAttack.LYING_REDUCER) {
                    long last = lastLiarBan(o);
                    liarEscaped |= last < 0;
                    maxBanRound = Math.max(maxBanRound, last);
                }
            }
            if (o.defence() == Defence.MEAN && ratio >= MEAN_BREAKS && !meanBroken.contains(o.attackLabel())) {
                meanBroken.add(o.attackLabel());
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("worst_val_loss_ratio", finite(round(worst, 4)));
        out.put("worst_run", worstRun);
        out.put("mean_diverged", meanBroken.size());
        out.put("mean_diverged_attacks", meanBroken);
        out.put("honest_banned", honestBanned);
        out.put("max_rounds_to_ban_liar", liarEscaped ? null : maxBanRound);
        out.put("verification_overhead", round(quiet, 4));
        out.put("verification_overhead_with_adjudication", round(total, 4));
        Map<String, Object> targets = new LinkedHashMap<>();
        targets.put("robust_within_3pct", worst <= ROBUST_TOLERANCE);
        // ALIE counts at any z the sweep ran (the paper's, or a stronger one named alie-z<z>).
        targets.put("mean_breaks_under_sign_flip_ipm_alie", meanBroken.containsAll(List.of("sign-flip", "ipm"))
            && meanBroken.stream().anyMatch(a -> a.equals("alie") || a.startsWith("alie-z")));
        targets.put("liars_banned_within_3_rounds", !liarEscaped && maxBanRound <= BAN_WITHIN);
        targets.put("zero_honest_banned", honestBanned == 0);
        targets.put("overhead_within_5pct", quiet <= OVERHEAD_BUDGET);
        out.put("targets", targets);
        out.put("runs", runs.size());
        return out;
    }

    /** Final loss over the same defence's run without attackers. */
    static double ratioToClean(final List<ByzantineExperiment.Timed> runs, final ByzantineRun.Outcome o) {
        for (ByzantineExperiment.Timed t : runs) {
            if (t.outcome().defence() == o.defence() && t.outcome().attackers() == 0) {
                return o.finalValLoss() / t.outcome().finalValLoss();
            }
        }
        return Double.NaN;
    }

    private static int honestBanned(final ByzantineRun.Outcome o) {
        return (int) o.bans().stream().filter(ByzantineRun.BanEvent::honest).count();
    }

    /** The round in which the last attacker was banned, or -1 if one never was. */
    private static long lastLiarBan(final ByzantineRun.Outcome o) {
        Set<String> banned = new LinkedHashSet<>();
        long last = 0;
        for (ByzantineRun.BanEvent b : o.bans()) {
            if (!b.honest()) {
                banned.add(b.peer());
                last = Math.max(last, b.round());
            }
        }
        return banned.size() == o.attackers() ? last : -1;
    }

    private static Set<String> attacks(final List<ByzantineExperiment.Timed> runs) {
        Set<String> out = new LinkedHashSet<>();
        runs.stream().filter(t -> t.outcome().attackers() > 0).forEach(t -> out.add(t.outcome().attackLabel()));
        return out;
    }

    private static void plotAttack(final Path dir, final List<ByzantineExperiment.Timed> runs, final String a)
        throws IOException {
        List<String> names = new ArrayList<>();
        List<List<DilocoExperiment.Point>> curves = new ArrayList<>();
        for (ByzantineExperiment.Timed t : runs) {
            ByzantineRun.Outcome o = t.outcome();
            if (o.attackers() == 0 && o.defence().verified()) {
                names.addFirst(o.defence().shortLabel() + " f0");
                curves.addFirst(o.curve());
            } else if (o.attackLabel().equals(a) && o.attackers() > 0) {
                names.add(o.defence().shortLabel() + " f" + o.attackers());
                curves.add(o.curve());
            }
        }
        ExperimentReport.writePlot(dir.resolve("val_loss_" + a + ".png"), names, curves);
    }

    /** Final validation loss per attack (rows) and defence × f (columns), with the ratio to f = 0. */
    private static String table(final List<ByzantineExperiment.Timed> runs) {
        List<Defence> defences = runs.stream().map(t -> t.outcome().defence()).distinct().toList();
        List<Integer> fs = runs.stream().map(t -> t.outcome().attackers()).filter(f -> f > 0).distinct().toList();
        StringBuilder md = new StringBuilder("| attack |");
        StringBuilder rule = new StringBuilder("|---|");
        for (Defence d : defences) {
            for (int f : fs) {
                md.append(' ').append(d.label()).append(" f=").append(f).append(" |");
                rule.append("---|");
            }
        }
        md.append('\n').append(rule).append('\n').append("| none (f=0) |");
        for (Defence d : defences) {
            for (int f : fs) {
                runs.stream().filter(t -> t.outcome().defence() == d && t.outcome().attackers() == 0).findFirst()
                    .ifPresent(t -> md.append(String.format(Locale.ROOT, " %.3f |", t.outcome().finalValLoss())));
            }
        }
        md.append('\n');
        for (String a : attacks(runs)) {
            md.append("| ").append(a).append(" |");
            for (Defence d : defences) {
                for (int f : fs) {
                    ByzantineRun.Outcome o = runs.stream().map(ByzantineExperiment.Timed::outcome)
                        .filter(x -> x.defence() == d && x.attackLabel().equals(a) && x.attackers() == f).findFirst()
                        .orElse(null);
                    md.append(o == null ? " |" : o.diverged() || !Double.isFinite(o.finalValLoss()) ? " diverged |"
                        : String.format(Locale.ROOT, " %.3f (%.2f×) |", o.finalValLoss(), ratioToClean(runs, o)));
                }
            }
            md.append('\n');
        }
        return md.toString();
    }

    private static Object finite(final double v) {
        return Double.isFinite(v) ? v : "diverged";
    }

    private static double round(final double v, final int digits) {
        double f = Math.pow(10, digits);
        return Double.isFinite(v) ? Math.round(v * f) / f : v;
    }
}
