package dev.starling.peer.cli;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.emulation.LinkEmulation;
import dev.starling.p2p.emulation.LinkProfile;
import dev.starling.peer.node.Co2Timing;
import dev.starling.peer.node.ManifestTraining;
import dev.starling.peer.node.MeshDiloco;
import dev.starling.peer.node.NodeOptions;
import dev.starling.peer.node.PeerNode;
import dev.starling.tensor.cpu.ParallelFor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One measurement of the share of wall time each peer computes, blocking DiLoCo against CO2, both over the real mesh
 * (coordinator, gossip matchmaking, butterfly all-reduce over Noise + yamux on loopback TCP) with every peer's links
 * emulated ({@link LinkEmulation}: an uplink of the given rate and the one-way delay). The same manifest runs twice,
 * once with the outer optimizer {@code nesterov} (blocking) and once with {@code co2} (round r's exchange overlaps
 * round r+1's inner steps). Utilization counts inner-phase time as computing; it is measured in steady state, up to
 * the moment round R−1 is applied (so the last round's exchange, which nothing can overlap in a finite run, is
 * reported separately as the {@code _with_drain} figures). The round leader also evaluates the validation loss every
 * round, on the training thread in blocking mode (not counted as computing) and on a background thread with CO2;
 * it is reported apart ({@code utilization_leader}). With CO2 each peer's training thread accounts for its own time
 * ({@link Co2Timing}); {@code co2_boundaries} says where the non-computing part went.
 * Used by {@code experiment overlap} and {@code experiment diloco}. Runs peers on one thread each.
 *
 * @param peers      peers, 2..8
 * @param rounds     outer rounds per mode, at least 3
 * @param innerSteps H
 * @param link       each peer's uplink rate and one-way delay, {@code RATE,DELAY}
 * @param channels   model width (2 layers, 4 heads, block 64, batch 8)
 */
record OverlapRun(int peers, int rounds, int innerSteps, String link, int channels) {
    private static final int BATCH = 8;
    private static final int BLOCK = 64;

    /**
     * Checks the settings once.
     *
     * @throws UserError naming what to fix
     */
    OverlapRun {
        if (peers < 2 || peers > 8 || rounds < 3 || innerSteps < 1 || channels < 8 || channels % 4 != 0) {
            throw new UserError("need --peers in 2..8, --rounds at least 3, --inner-steps at least 1 and"
                    + " --channels a multiple of 4, at least 8");
        }
        try {
            LinkProfile.parse(link);
        } catch (IllegalArgumentException e) {
            throw new UserError("--link: " + e.getMessage(), e);
        }
    }

    /**
     * What both modes measured.
     *
     * @param fields the JSON fields ({@code link}, {@code utilization}, {@code utilization_blocking}, ...)
     * @param parity whether θ_global was bit-identical on every peer after every round in both modes
     */
    record Result(Map<String, Object> fields, boolean parity) {
    }

    /**
     * Runs blocking DiLoCo, then CO2.
     *
     * @return the measured fields
     * @throws Exception when a peer fails or the wait is interrupted
     */
    Result measure() throws Exception {
        LinkProfile profile = LinkProfile.parse(link);
        LinkEmulation links = LinkEmulation.uniform(new LinkProfile(0, profile.delayNanos(),
                profile.lossProbability())).withUplink(profile.rateBitsPerSecond());
        ModeResult blocking = runMode("nesterov", links);
        ModeResult co2 = runMode("co2", links);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("link", link);
        result.put("peers", peers);
        result.put("model_parameters", blocking.parameters());
        result.put("inner_steps", innerSteps);
        result.put("rounds", rounds);
        result.put("utilization", round(meanExcept(co2.steady(), co2.leader())));
        result.put("utilization_blocking", round(meanExcept(blocking.steady(), blocking.leader())));
        result.put("utilization_min", round(minExcept(co2.steady(), co2.leader())));
        result.put("utilization_blocking_max", round(maxExcept(blocking.steady(), blocking.leader())));
        result.put("utilization_leader", round(co2.steady()[co2.leader()]));
        result.put("utilization_blocking_leader", round(blocking.steady()[blocking.leader()]));
        result.put("utilization_with_drain", round(meanExcept(co2.withDrain(), co2.leader())));
        result.put("utilization_blocking_with_drain", round(meanExcept(blocking.withDrain(), blocking.leader())));
        result.put("val_loss_blocking", round(blocking.valLoss()));
        result.put("val_loss_co2", round(co2.valLoss()));
        result.put("rounds_identical_blocking", blocking.identical());
        result.put("rounds_identical_co2", co2.identical());
        result.put("bytes_sent_per_peer_round", blocking.bytesPerPeer() / rounds);
        result.put("inner_phase_s_blocking", round(blocking.innerSeconds()));
        result.put("inner_phase_s_co2", round(co2.innerSeconds()));
        result.put("co2_boundaries", timingFields(co2));
        return new Result(result, blocking.identical() == rounds && co2.identical() == rounds);
    }

    /** What one mode measured. */
    private record ModeResult(double[] steady, double[] withDrain, int leader, long identical, double valLoss,
                              long bytesPerPeer, int parameters, Co2Timing[] timing, double innerSeconds) {
    }

    /** Where CO2's non-computing time went on the training thread (non-leaders' mean, and the leader's). */
    private static Map<String, Object> timingFields(ModeResult co2) {
        Map<String, Object> m = new LinkedHashMap<>();
        double wait = 0;
        double other = 0;
        int waits = 0;
        int boundaries = 0;
        for (int i = 0; i < co2.timing().length; i++) {
            if (i != co2.leader()) {
                Co2Timing t = co2.timing()[i];
                double wall = t.innerNanos() + t.gapNanos();
                wait += t.waitNanos() / wall;
                other += (t.gapNanos() - t.waitNanos()) / wall;
                waits += t.waits();
                boundaries += t.boundaries();
            }
        }
        int n = co2.timing().length - 1;
        Co2Timing lead = co2.timing()[co2.leader()];
        double leadWall = lead.innerNanos() + lead.gapNanos();
        m.put("wait_share", round(wait / n));
        m.put("boundary_work_share", round(other / n));
        m.put("boundaries_that_waited", waits + " of " + boundaries);
        m.put("inner_steps_per_round", round(Arrays.stream(co2.timing()).mapToLong(Co2Timing::innerSteps).sum()
                / (double) Arrays.stream(co2.timing()).mapToInt(Co2Timing::boundaries).sum()));
        m.put("leader_wait_share", round(lead.waitNanos() / leadWall));
        m.put("leader_boundary_work_share", round((lead.gapNanos() - lead.waitNanos()) / leadWall));
        m.put("leader_boundaries_that_waited", lead.waits() + " of " + lead.boundaries());
        return m;
    }

    private String manifest(String optimizer) {
        String co2 = optimizer.equals("co2") ? "staleness_penalty = 1.0\nmomentum_clip = 0.01\n" : "";
        return """
                [run]
                name = "starling-overlap"
                seed = 1337
                [model]
                layers = 2
                heads = 4
                channels = %d
                block_size = %d
                [data]
                source = "builtin:tinyshakespeare"
                tokenizer = "char"
                batch_size = %d
                [inner]
                steps = %d
                lr = 3e-3
                min_lr = 3e-4
                warmup_steps = 30
                [outer]
                optimizer = "%s"
                lr = 0.7
                momentum = 0.9
                %s
                [codec]
                name = "int8"
                block_size = 64
                [aggregator]
                name = "mean"
                [group]
                min_size = %d
                max_size = %d
                [deadlines]
                round_max_s = 600
                matchmaking_s = 10
                """.formatted(channels, BLOCK, BATCH, innerSteps, optimizer, co2, peers, peers);
    }

    private ModeResult runMode(String optimizer, LinkEmulation links) throws Exception {
        Path file = Files.createTempFile("starling-overlap", ".toml");
        Files.writeString(file, manifest(optimizer), StandardCharsets.UTF_8);
        CoordinatorNode coordinator;
        try {
            coordinator = CoordinatorNode.start(new CoordinatorConfig(file, Keys.generateEd25519(),
                    List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")), List.of(),
                    new DashboardConfig(NodeOptions.hostPort("--dashboard", "127.0.0.1:0"), "", 64)));
        } catch (IOException e) {
            throw new UserError("cannot start the experiment's coordinator: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(file);
        }
        try (coordinator) {
            System.err.printf(Locale.ROOT, "overlap: %s, %d peers, %d rounds of H=%d, links %s%n", optimizer, peers,
                    rounds, innerSteps, link);
            return runPeers(coordinator, links);
        }
    }

    private ModeResult runPeers(CoordinatorNode coordinator, LinkEmulation links) throws Exception {
        List<PeerNode> nodes = new ArrayList<>();
        Map<Long, List<String>> hashes = new ConcurrentHashMap<>();
        double[] steady = new double[peers];
        double[] withDrain = new double[peers];
        int[] leader = {0};
        double[] valLoss = {Double.NaN};
        long[] bytes = new long[peers];
        int[] parameters = {0};
        Co2Timing[] timing = new Co2Timing[peers];
        double[] innerSeconds = new double[peers];
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try {
            for (int i = 0; i < peers; i++) {
                nodes.add(PeerNode.join(Keys.generateEd25519(), List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")),
                        List.of(), coordinator.bootstrapAddresses(), null, links));
            }
            TokenDataset data = ManifestTraining.dataset(coordinator.manifest(), null);
            int tokensPerRound = innerSteps * BATCH * BLOCK;
            for (int i = 0; i < peers; i++) {
                int index = i;
                PeerNode node = nodes.get(i);
                threads.add(Thread.ofPlatform().name("overlap-peer-" + i).start(() -> {
                    try (ParallelFor pool = new ParallelFor(1);
                         MeshDiloco diloco = new MeshDiloco(node, data, pool, index)) {
                        parameters[0] = diloco.parameters();
                        double[] compute = new double[rounds + 1];
                        long[] appliedAt = new long[rounds + 1];
                        long t0 = System.nanoTime();
                        diloco.run(rounds, () -> false, outcome -> {
                            int r = (int) outcome.round();
                            appliedAt[r] = System.nanoTime();
                            compute[r] = tokensPerRound / outcome.tokensPerS();
                            bytes[index] += outcome.bytesSent();
                            hashes.computeIfAbsent(outcome.round(), k -> new CopyOnWriteArrayList<>())
                                    .add(outcome.stateHash());
                            if (outcome.leader()) {
                                leader[0] = index;
                                valLoss[0] = outcome.valLoss();
                                System.err.printf(Locale.ROOT, "  round %d: val loss %.4f, exchange %d ms%n", r,
                                        outcome.valLoss(), outcome.roundMillis());
                            }
                        });
                        long end = System.nanoTime();
                        double all = Arrays.stream(compute).sum();
                        // steady state: blocking, everything computed before round R-1 was applied (rounds
                        // 1..R-1); co2, the training thread's own account from its first inner phase to the end of
                        // the boundary after round R's inner phase, where round R-1 is applied (the leader's
                        // outcomes reach the listener late, after their background evaluation)
                        boolean overlapped = coordinator.manifest().outer().optimizer().equals("co2");
                        timing[index] = diloco.co2Timing();
                        steady[index] = overlapped ? timing[index].utilization()
                                : (all - compute[rounds]) / ((appliedAt[rounds - 1] - t0) / 1e9);
                        // co2: a peer that would wait trains on, so its inner phases vary; take its own account
                        double computed = overlapped ? timing[index].innerNanos() / 1e9 : all;
                        withDrain[index] = computed / ((end - t0) / 1e9);
                        innerSeconds[index] = computed / rounds;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        } finally {
            nodes.forEach(PeerNode::close);
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("an overlap peer failed: " + failures.getFirst().getMessage(),
                    failures.getFirst());
        }
        long identical = hashes.values().stream().filter(h -> h.size() == peers && h.stream().distinct().count() == 1)
                .count();
        System.err.printf(Locale.ROOT, "  utilization per peer (steady) %s, leader %d%n", Arrays.toString(steady),
                leader[0]);
        return new ModeResult(steady, withDrain, leader[0], identical, valLoss[0],
                Arrays.stream(bytes).sum() / peers, parameters[0], timing, Arrays.stream(innerSeconds).average()
                .orElse(Double.NaN));
    }

    private static double meanExcept(double[] v, int skip) {
        double sum = 0;
        for (int i = 0; i < v.length; i++) sum += i == skip ? 0 : v[i];
        return sum / (v.length - 1);
    }

    private static double minExcept(double[] v, int skip) {
        double m = Double.POSITIVE_INFINITY;
        for (int i = 0; i < v.length; i++) {
            if (i != skip) m = Math.min(m, v[i]);
        }
        return m;
    }

    private static double maxExcept(double[] v, int skip) {
        double m = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v.length; i++) {
            if (i != skip) m = Math.max(m, v[i]);
        }
        return m;
    }

    private static double round(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}
