package dev.starling.training.diloco;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Turns the experiment's outcomes into files and the summary: one CSV per variant, a PNG with validation loss
 * against tokens and against bytes sent per peer (Java2D, headless), and the comparison against the data-parallel
 * baseline. Stateless; any thread.
 */
public final class ExperimentReport {
    /** A DiLoCo setting qualifies when its final validation loss is at most this multiple of the baseline's. */
    public static final double LOSS_TOLERANCE = 1.02;
    private static final int WIDTH = 1400;
    private static final int HEIGHT = 600;
    private static final Color[] PALETTE = {Color.BLACK, new Color(0x1F77B4), new Color(0xFF7F0E),
        new Color(0x2CA02C), new Color(0xD62728), new Color(0x9467BD), new Color(0x8C564B), new Color(0xE377C2),
        new Color(0x7F7F7F), new Color(0xBCBD22), new Color(0x17BECF)};

    private ExperimentReport() {
    }

    /**
     * Writes {@code <name>.csv} for every outcome and {@code val_loss.png}.
     *
     * @param dir      output directory (created if missing)
     * @param outcomes the runs, baseline first
     * @throws UncheckedIOException when a file cannot be written
     */
    public static void write(final Path dir, final List<DilocoExperiment.Outcome> outcomes) {
        try {
            Files.createDirectories(dir);
            for (DilocoExperiment.Outcome o : outcomes) {
                StringBuilder csv = new StringBuilder("tokens,bytes_per_peer,val_loss,train_loss\n");
                for (DilocoExperiment.Point p : o.curve()) {
                    csv.append(String.format(Locale.ROOT, "%d,%d,%.6f,%.6f%n", p.tokens(), p.bytesPerPeer(),
                        p.valLoss(), p.trainLoss()));
                }
                Files.writeString(dir.resolve(o.variant().name() + ".csv"), csv.toString());
            }
            writePlot(dir.resolve("val_loss.png"), outcomes.stream().map(o -> o.variant().name()).toList(),
                outcomes.stream().map(DilocoExperiment.Outcome::curve).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the experiment's results to " + dir, e);
        }
    }

    /**
     * Writes a PNG of validation-loss curves against tokens (left) and bytes sent per peer (right); the first curve
     * is drawn thicker, as the reference.
     *
     * @param file   the PNG to write
     * @param names  one legend entry per curve
     * @param curves the curves
     * @throws IOException when the file cannot be written
     */
    public static void writePlot(final Path file, final List<String> names,
                                 final List<List<DilocoExperiment.Point>> curves) throws IOException {
        ImageIO.write(plot(names, curves), "png", file.toFile());
    }

    /**
     * The comparison against the baseline (the first outcome): among the DiLoCo settings whose final validation loss
     * is within {@link #LOSS_TOLERANCE} of the baseline's, the one with the largest bytes ratio.
     *
     * @param outcomes the runs, baseline first
     * @param overlap  the overlap measurement's fields ({@code utilization}, {@code utilization_blocking}, its link
     *                 and model), or {@code null} when it was not run
     * @return ordered fields for the JSON line; {@code comm_reduction} is null when no setting qualifies
     */
    public static Map<String, Object> summary(final List<DilocoExperiment.Outcome> outcomes,
                                              final Map<String, Object> overlap) {
        DilocoExperiment.Outcome base = outcomes.getFirst();
        DilocoExperiment.Outcome best = null;
        DilocoExperiment.Outcome lowest = null;
        for (DilocoExperiment.Outcome o : outcomes.subList(1, outcomes.size())) {
            if (lowest == null || o.finalValLoss() < lowest.finalValLoss()) {
                lowest = o;
            }
            if (o.finalValLoss() <= LOSS_TOLERANCE * base.finalValLoss()
                && (best == null || o.bytesPerPeer() < best.bytesPerPeer())) {
                best = o;
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("comm_reduction", best == null ? null : round(ratio(base, best), 1));
        out.put("val_loss_ratio", best == null ? null : round(best.finalValLoss() / base.finalValLoss(), 4));
        out.put("utilization", overlap == null ? null : overlap.get("utilization"));
        out.put("utilization_blocking", overlap == null ? null : overlap.get("utilization_blocking"));
        out.put("best_setting", best == null ? null : best.variant().name());
        out.put("baseline_val_loss", round(base.finalValLoss(), 4));
        out.put("baseline_bytes_per_peer", base.bytesPerPeer());
        if (lowest != null) {
            out.put("lowest_loss_setting", lowest.variant().name());
            out.put("lowest_loss_val_loss_ratio", round(lowest.finalValLoss() / base.finalValLoss(), 4));
            out.put("lowest_loss_comm_reduction", round(ratio(base, lowest), 1));
        }
        out.put("target_met", best != null && ratio(base, best) >= 2000);
        out.put("bit_parity", outcomes.stream().allMatch(DilocoExperiment.Outcome::parity));
        List<Map<String, Object>> settings = new ArrayList<>();
        for (DilocoExperiment.Outcome o : outcomes) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("setting", o.variant().name());
            s.put("val_loss", round(o.finalValLoss(), 4));
            s.put("bytes_per_peer", o.bytesPerPeer());
            s.put("comm_reduction", round(ratio(base, o), 1));
            settings.add(s);
        }
        out.put("settings", settings);
        out.put("overlap", overlap);
        return out;
    }

    private static double ratio(final DilocoExperiment.Outcome base, final DilocoExperiment.Outcome o) {
        return o.bytesPerPeer() == 0 ? Double.POSITIVE_INFINITY : (double) base.bytesPerPeer() / o.bytesPerPeer();
    }

    private static double round(final double v, final int digits) {
        double f = Math.pow(10, digits);
        return Double.isFinite(v) ? Math.round(v * f) / f : v;
    }

    private static BufferedImage plot(final List<String> names, final List<List<DilocoExperiment.Point>> curves) {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        double maxTokens = 1;
        double minBytes = Double.MAX_VALUE;
        double maxBytes = 1;
        for (List<DilocoExperiment.Point> curve : curves) {
            for (DilocoExperiment.Point p : curve) {
                if (!Double.isFinite(p.valLoss())) {
                    continue;
                }
                lo = Math.min(lo, p.valLoss());
                hi = Math.max(hi, p.valLoss());
                maxTokens = Math.max(maxTokens, p.tokens());
                if (p.bytesPerPeer() > 0) {
                    minBytes = Math.min(minBytes, p.bytesPerPeer());
                    maxBytes = Math.max(maxBytes, p.bytesPerPeer());
                }
            }
        }
        hi = Math.min(hi, lo + 2.5);
        Panel left = new Panel(70, 40, 560, 480, 0, maxTokens, false, lo, hi);
        Panel right = new Panel(720, 40, 560, 480, Math.log10(Math.min(minBytes, maxBytes)), Math.log10(maxBytes),
            true, lo, hi);
        left.axes(g, "tokens processed by the group", "validation loss");
        right.axes(g, "bytes sent per peer (log10)", "validation loss");
        for (int i = 0; i < curves.size(); i++) {
            g.setColor(PALETTE[i % PALETTE.length]);
            g.setStroke(new BasicStroke(i == 0 ? 3f : 1.6f));
            left.line(g, curves.get(i), false);
            right.line(g, curves.get(i), true);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(names.get(i), 1290, 60 + 16 * i);
        }
        g.dispose();
        return img;
    }

    /**
     * Writes a PNG of named curves on one linear chart (for experiments whose x axis is not tokens or bytes).
     *
     * @param file   the PNG to write
     * @param xLabel x axis label
     * @param yLabel y axis label
     * @param names  one name per curve
     * @param curves per curve, its points as {x, y} pairs
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void writeLines(final Path file, final String xLabel, final String yLabel, final List<String> names,
                                  final List<List<double[]>> curves) {
        BufferedImage img = new BufferedImage(WIDTH / 2 + 260, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), HEIGHT);
        double lo = Double.MAX_VALUE;
        double hi = -Double.MAX_VALUE;
        double maxX = 1e-9;
        for (List<double[]> c : curves) {
            for (double[] p : c) {
                lo = Math.min(lo, p[1]);
                hi = Math.max(hi, p[1]);
                maxX = Math.max(maxX, p[0]);
            }
        }
        Panel panel = new Panel(70, 40, 560, 480, 0, maxX, false, lo, Math.min(hi, lo + 2.5));
        panel.axes(g, xLabel, yLabel);
        for (int i = 0; i < curves.size(); i++) {
            g.setColor(PALETTE[i % PALETTE.length]);
            g.setStroke(new BasicStroke(1.6f));
            List<DilocoExperiment.Point> points = new ArrayList<>();
            for (double[] p : curves.get(i)) {
                points.add(new DilocoExperiment.Point(Math.round(p[0] * 1000), 0, p[1], 0));
            }
            panel.scaled(1000).line(g, points, false);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(names.get(i), 650, 60 + 16 * i);
        }
        g.dispose();
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            ImageIO.write(img, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** One chart's frame and scales. */
    private record Panel(int x, int y, int w, int h, double x0, double x1, boolean logX, double y0, double y1) {
        void axes(final Graphics2D g, final String xLabel, final String yLabel) {
            g.setColor(Color.DARK_GRAY);
            g.setStroke(new BasicStroke(1f));
            g.drawRect(x, y, w, h);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(xLabel, x + w / 2 - 80, y + h + 40);
            g.drawString(yLabel, x - 60, y - 12);
            for (int k = 0; k <= 4; k++) {
                double v = y0 + (y1 - y0) * k / 4;
                int py = py(v);
                g.drawString(String.format(Locale.ROOT, "%.2f", v), x - 45, py + 4);
                double xv = x0 + (x1 - x0) * k / 4;
                String xs = logX ? String.format(Locale.ROOT, "%.1f", xv) : String.format(Locale.ROOT, "%.2g", xv);
                g.drawString(xs, x + w * k / 4 - 15, y + h + 18);
            }
        }

        /** The same frame with its x scale multiplied (for x values stored as scaled longs). */
        Panel scaled(final double factor) {
            return new Panel(x, y, w, h, x0 * factor, x1 * factor, logX, y0, y1);
        }

        void line(final Graphics2D g, final List<DilocoExperiment.Point> curve, final boolean bytes) {
            int prevX = -1;
            int prevY = -1;
            for (DilocoExperiment.Point p : curve) {
                double xv = bytes ? p.bytesPerPeer() : p.tokens();
                if (bytes && xv <= 0 || Double.isNaN(p.valLoss())) {
                    continue;
                }
                int px = px(bytes ? Math.log10(xv) : xv);
                int py = py(p.valLoss());
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, px, py);
                }
                g.fillOval(px - 2, py - 2, 5, 5);
                prevX = px;
                prevY = py;
            }
        }

        private int px(final double v) {
            double span = x1 - x0 == 0 ? 1 : x1 - x0;
            return x + (int) Math.round(w * (v - x0) / span);
        }

        private int py(final double v) {
            double span = y1 - y0 == 0 ? 1 : y1 - y0;
            return y + h - (int) Math.round(h * (Math.min(v, y1) - y0) / span);
        }
    }
}
