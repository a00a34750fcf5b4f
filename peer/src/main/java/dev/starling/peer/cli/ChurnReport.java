package dev.starling.peer.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.DoubleSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Folds the timestamped output of churned peer processes and the killer's actions into the churn experiment's
 * figures. Lines come from one reader thread per process, so every method is synchronized (a measurement harness,
 * not protocol logic). Time is read through the injected clock, in seconds since the experiment began.
 */
final class ChurnReport {
    private static final Pattern ROUND = Pattern.compile(
            "^round (\\d+)  group (\\d+)  inner loss \\S+(?:  val (\\S+))?  .*  (\\d+) ms  state ([0-9a-f]+)$");
    private static final Pattern FIELD = Pattern.compile("(\\w+)=(\"[^\"]*\"|\\S+)");
    private static final Pattern SYNC = Pattern.compile(
            "^state sync: round (\\d+), ([0-9.]+) MB from (\\d+) peers in (\\d+) ms");

    private record RoundLine(int peer, double t, long round, int group, double val, long ms, String hash) {
    }

    private record Sync(int peer, double t, long round, double megabytes, long ms) {
    }

    private record Event(int peer, double t) {
    }

    private final int peers;
    private final long hangMillis;
    private final DoubleSupplier clock;
    private final List<RoundLine> rounds = new ArrayList<>();
    private final List<Sync> syncs = new ArrayList<>();
    private final List<Event> kills = new ArrayList<>();
    private final List<Event> restarts = new ArrayList<>();
    private final Map<Integer, Integer> exits = new TreeMap<>();

    /**
     * Creates an empty report on the wall clock.
     *
     * @param peers         peers in the experiment (a full group)
     * @param hangSeconds   a round lasting longer than this outlived its deadline
     */
    ChurnReport(int peers, long hangSeconds) {
        this(peers, hangSeconds, wallClock());
    }

    ChurnReport(int peers, long hangSeconds, DoubleSupplier clock) {
        this.peers = peers;
        this.hangMillis = hangSeconds * 1000;
        this.clock = clock;
    }

    private static DoubleSupplier wallClock() {
        long start = System.nanoTime();
        return () -> (System.nanoTime() - start) / 1e9;
    }

    synchronized double line(int peer, String line) {
        double t = clock.getAsDouble();
        Matcher m = ROUND.matcher(line.strip());
        if (m.matches()) {
            rounds.add(new RoundLine(peer, t, Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)),
                    m.group(3) == null ? Double.NaN : Double.parseDouble(m.group(3)), Long.parseLong(m.group(4)),
                    m.group(5)));
            return t;
        }
        if (line.contains("event=round_done")) {
            Map<String, String> f = new HashMap<>();
            Matcher kv = FIELD.matcher(line);
            while (kv.find()) {
                f.put(kv.group(1), kv.group(2).replace("\"", ""));
            }
            String val = f.getOrDefault("val_loss", "");
            rounds.add(new RoundLine(peer, t, Long.parseLong(f.get("round")), Integer.parseInt(f.get("group")),
                    val.isEmpty() ? Double.NaN : Double.parseDouble(val), Long.parseLong(f.get("ms")),
                    f.get("state")));
            return t;
        }
        Matcher s = SYNC.matcher(line.strip());
        if (s.find()) {
            syncs.add(new Sync(peer, t, Long.parseLong(s.group(1)), Double.parseDouble(s.group(2)),
                    Long.parseLong(s.group(4))));
        }
        return t;
    }

    synchronized void killed(int peer) {
        kills.add(new Event(peer, clock.getAsDouble()));
    }

    synchronized void restarted(int peer) {
        restarts.add(new Event(peer, clock.getAsDouble()));
    }

    synchronized void exited(int peer, int code) {
        exits.put(peer, code);
    }

    synchronized Map<String, Object> summary(double linkBitsPerSecond) {
        Map<Long, Set<String>> hashes = new TreeMap<>();
        int hangs = 0;
        for (RoundLine r : rounds) {
            if (r.group() > 0) {
                hashes.computeIfAbsent(r.round(), k -> new HashSet<>()).add(r.hash());
            }
            if (r.ms() > hangMillis) {
                hangs++;
            }
        }
        hangs += (int) exits.values().stream().filter(c -> c == -1).count();
        long mismatches = hashes.values().stream().filter(h -> h.size() > 1).count();
        List<Double> recoveries = new ArrayList<>();
        for (Event k : kills) {
            double restart = restarts.stream().filter(r -> r.peer() == k.peer() && r.t() >= k.t())
                    .mapToDouble(Event::t).min().orElse(Double.NaN);
            rounds.stream().filter(r -> r.group() >= peers && r.t() > restart).mapToDouble(RoundLine::t).min()
                    .ifPresent(t -> recoveries.add(t - k.t()));
        }
        List<Double> ratios = new ArrayList<>();
        int joins = 0;
        int nextRound = 0;
        Map<Integer, List<RoundLine>> byPeer = new HashMap<>();
        rounds.forEach(r -> byPeer.computeIfAbsent(r.peer(), p -> new ArrayList<>()).add(r));
        for (Sync s : syncs) {
            double raw = s.megabytes() * 1e6 * 8 / linkBitsPerSecond;
            ratios.add(s.ms() / 1000.0 / raw);
            RoundLine after = byPeer.getOrDefault(s.peer(), List.of()).stream().filter(r -> r.t() > s.t())
                    .findFirst().orElse(null);
            boolean superseded = syncs.stream().anyMatch(o -> o.peer() == s.peer() && o.t() > s.t()
                    && (after == null || o.t() <= after.t()));
            if (superseded) {
                continue; // the run moved on during this download and the peer caught up again before a round
            }
            joins++;
            if (after != null && after.round() == s.round() + 1 && after.group() > 0) {
                nextRound++;
            }
        }
        List<RoundLine> withVal = rounds.stream().filter(r -> !Double.isNaN(r.val()))
                .sorted((a, b) -> Long.compare(a.round(), b.round())).toList();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("peers", peers);
        out.put("rounds", hashes.size());
        out.put("hangs", hangs);
        out.put("hash_mismatches", mismatches);
        out.put("kills", kills.size());
        out.put("recovered", recoveries.size());
        out.put("mttr_s", mean(recoveries));
        out.put("joins", joins);
        out.put("downloads", syncs.size());
        out.put("joins_in_next_round", nextRound);
        out.put("join_time_ratio", median(ratios));
        out.put("join_ms_median", median(syncs.stream().map(s -> (double) s.ms()).toList()));
        out.put("val_loss_start", withVal.isEmpty() ? Double.NaN : withVal.getFirst().val());
        out.put("val_loss_end", withVal.isEmpty() ? Double.NaN : withVal.getLast().val());
        out.put("graceful_exits", exits.values().stream().filter(c -> c == 0).count());
        return out;
    }

    private static double mean(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    private static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
