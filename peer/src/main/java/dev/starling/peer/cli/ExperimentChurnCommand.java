package dev.starling.peer.cli;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling experiment churn}: a coordinator (in this JVM) and {@code --peers} peers, each a separate
 * {@code starling peer} process on loopback; a killer sends SIGKILL to a random live peer every {@code --kill-every}
 * seconds and restarts it (same key: a returning peer) {@code --down} seconds later; at the end every peer gets
 * SIGTERM. The peers' round lines are timestamped as they arrive and folded into {@link ChurnReport}: rounds, hash
 * mismatches, hangs, MTTR, state-download times and validation loss; logs go under {@code --out}. Runs on the
 * calling thread plus one reader thread per peer process.
 */
@Command(name = "churn", mixinStandardHelpOptions = true,
        description = "Peers as processes under SIGKILL churn: hangs, hash mismatches, MTTR, join time, val loss.")
public final class ExperimentChurnCommand implements Callable<Integer> {
    static final String MANIFEST = """
            # starling experiment churn: a tiny GPT, so eight peer processes finish rounds on a shared machine
            [run]
            name = "churn"
            seed = 4242
            [model]
            layers = 1
            heads = 2
            channels = 48
            block_size = 32
            [data]
            source = "builtin:tinyshakespeare"
            tokenizer = "char"
            batch_size = 4
            [inner]
            steps = 8
            lr = 3e-3
            min_lr = 3e-4
            warmup_steps = 8
            [codec]
            name = "int8"
            block_size = 64
            [aggregator]
            name = "mean"
            [group]
            min_size = 2
            max_size = 16
            [deadlines]
            round_max_s = 30
            matchmaking_s = 20
            """;
    /** The link rate the join-time ratio is taken against (the emulated 100 Mbit/s). */
    static final double LINK_BITS_PER_S = 100e6;

    @Option(names = "--quick", description = "2 minutes instead of 10")
    boolean quick;
    @Option(names = "--peers", defaultValue = "8", description = "peer processes (default: ${DEFAULT-VALUE})")
    int peers;
    @Option(names = "--minutes", description = "how long to churn (default 10; quick 2)")
    Double minutes;
    @Option(names = "--kill-every", defaultValue = "20", description = "seconds between kills (default: "
            + "${DEFAULT-VALUE})")
    double killEvery;
    @Option(names = "--down", defaultValue = "10", description = "seconds a killed peer stays down (default: "
            + "${DEFAULT-VALUE})")
    double down;
    @Option(names = "--seed", defaultValue = "7", description = "seed of the killer's choices")
    long seed;
    @Option(names = "--out", defaultValue = "experiments/results/churn", description = "logs and keys go here")
    Path out;

    @Override
    public Integer call() throws Exception {
        double length = minutes != null ? minutes : quick ? 2 : 10;
        if (peers < 3 || peers > 32 || length <= 0 || killEvery <= 0 || down < 0) {
            throw new UserError("--peers must be 3 to 32, and --minutes, --kill-every positive, --down at least 0");
        }
        Files.createDirectories(out.resolve("keys"));
        Path manifest = Files.writeString(out.resolve("run.toml"), MANIFEST);
        List<Multiaddr> loopback = List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0"));
        CoordinatorConfig config = new CoordinatorConfig(manifest, Keys.generateEd25519(), loopback, List.of(),
                new DashboardConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "", 64));
        ChurnReport report = new ChurnReport(peers, 30 + 20);
        try (CoordinatorNode coordinator = CoordinatorNode.start(config)) {
            Path joinFile = Files.write(out.resolve("bootstrap.txt"), coordinator.bootstrapAddresses().stream()
                    .map(Multiaddr::toString).toList());
            List<PeerProcess> procs = new ArrayList<>();
            for (int i = 0; i < peers; i++) {
                procs.add(new PeerProcess(i, joinFile, report));
                procs.get(i).start();
            }
            System.err.printf(Locale.ROOT, "churn: %d peers, a SIGKILL every %.0f s for %.1f min; logs in %s%n",
                    peers, killEvery, length, out);
            churn(procs, report, (long) (length * 60_000));
            for (PeerProcess p : procs) {
                p.terminate();
            }
            for (PeerProcess p : procs) {
                report.exited(p.index, p.awaitExit(60));
            }
        }
        Map<String, Object> result = report.summary(LINK_BITS_PER_S);
        result.put("link", "loopback (no emulated 100 Mbit/s link: join_time_ratio is against 100 Mbit/s nominal)");
        JsonResult.print(System.out, result);
        return 0;
    }

    private void churn(List<PeerProcess> procs, ChurnReport report, long millis) throws Exception {
        Random random = new Random(seed);
        long start = System.nanoTime();
        long nextKill = (long) (killEvery * 1000);
        Map<Integer, Long> restartAt = new LinkedHashMap<>();
        while (true) {
            long now = (System.nanoTime() - start) / 1_000_000;
            if (now >= millis) {
                break;
            }
            for (var it = restartAt.entrySet().iterator(); it.hasNext();) {
                var e = it.next();
                if (e.getValue() <= now) {
                    procs.get(e.getKey()).start();
                    report.restarted(e.getKey());
                    it.remove();
                }
            }
            if (now >= nextKill) {
                List<PeerProcess> alive = procs.stream().filter(p -> p.alive() && !restartAt.containsKey(p.index))
                        .toList();
                if (alive.size() > 2) {
                    PeerProcess victim = alive.get(random.nextInt(alive.size()));
                    victim.kill();
                    report.killed(victim.index);
                    restartAt.put(victim.index, now + (long) (down * 1000));
                    System.err.printf(Locale.ROOT, "churn: t=%.0f s SIGKILL peer %d%n", now / 1000.0, victim.index);
                }
                nextKill += (long) (killEvery * 1000);
            }
            Thread.sleep(200); // the killer's schedule, not a synchronisation
        }
        for (Integer i : restartAt.keySet()) {
            procs.get(i).start();
            report.restarted(i);
        }
    }

    /** One {@code starling peer} process, restarted with the same key after a kill. */
    private final class PeerProcess {
        private final int index;
        private final Path joinFile;
        private final ChurnReport report;
        private Process process;

        PeerProcess(int index, Path joinFile, ChurnReport report) {
            this.index = index;
            this.joinFile = joinFile;
            this.report = report;
        }

        void start() throws IOException {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .filter(a -> !a.startsWith("-agentlib") && !a.startsWith("-javaagent")).toList());
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.starling.peer.Starling", "peer",
                    "--join-file", joinFile.toString(), "--key", out.resolve("keys/peer-" + index + ".key").toString(),
                    "--listen", "/ip4/127.0.0.1/tcp/0", "--threads", "1"));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Process mine = process;
            Path log = out.resolve("peer-" + index + ".log");
            Thread.ofPlatform().daemon().name("churn-log-" + index).start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(mine.getInputStream(),
                        StandardCharsets.UTF_8));
                     PrintWriter w = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                             java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        double t = report.line(index, line);
                        w.printf(Locale.ROOT, "%.3f %s%n", t, line);
                        w.flush();
                    }
                } catch (IOException e) {
                    // the process died: its output ends here
                }
            });
        }

        boolean alive() {
            return process != null && process.isAlive();
        }

        void kill() {
            process.destroyForcibly(); // SIGKILL on Unix
        }

        void terminate() {
            if (alive()) {
                process.destroy(); // SIGTERM: the peer finishes or abandons its round, announces its leave
            }
        }

        int awaitExit(long seconds) throws InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return -1;
            }
            return process.exitValue();
        }
    }
}
