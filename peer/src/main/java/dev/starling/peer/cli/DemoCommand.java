package dev.starling.peer.cli;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.peer.node.ManifestTraining;
import dev.starling.peer.node.MeshDiloco;
import dev.starling.peer.node.NodeOptions;
import dev.starling.peer.node.PeerNode;
import dev.starling.peer.node.RoundTelemetry;
import dev.starling.tensor.cpu.ParallelFor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling demo}: a coordinator and a few peers on this machine, each a real libp2p node on
 * loopback TCP, training the built-in run (see {@code demo.toml}) with DiLoCo rounds over the mesh, with
 * the dashboard on localhost. Prints a line per round and, with {@code --json}, a final JSON line.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a coordinator and three peers on this machine; watch them on the dashboard.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--rounds", defaultValue = "10", description = "outer rounds to run (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--peers", defaultValue = "3", description = "peers to start (default: ${DEFAULT-VALUE})")
    int peers;

    @Option(names = "--dashboard", defaultValue = "127.0.0.1:8080",
            description = "dashboard address HOST:PORT (default: ${DEFAULT-VALUE})")
    String dashboard;

    @Option(names = "--json", description = "end with one JSON line on stdout")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || peers < 2 || peers > 16) {
            throw new UserError("--rounds must be at least 1 and --peers between 2 and 16");
        }
        Path manifest = Files.createTempFile("starling-demo", ".toml");
        try (InputStream in = DemoCommand.class.getResourceAsStream("/dev/starling/peer/demo.toml")) {
            Files.write(manifest, in.readAllBytes());
        }
        CoordinatorConfig config = new CoordinatorConfig(manifest, Keys.generateEd25519(),
                List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")), List.of(),
                new DashboardConfig(NodeOptions.hostPort("--dashboard", dashboard), "", 64));
        CoordinatorNode coordinator;
        try {
            coordinator = CoordinatorNode.start(config);
        } catch (IOException e) {
            throw new UserError("cannot start the demo's coordinator: " + e.getMessage()
                    + " (is port " + dashboard + " taken? pass --dashboard 127.0.0.1:PORT)", e);
        } finally {
            Files.deleteIfExists(manifest);
        }
        try (coordinator) {
            System.err.printf(Locale.ROOT, "demo: run %s, %d peers, %d rounds; watch http://%s/%n",
                    coordinator.runId().substring(0, 16), peers, rounds, dashboard);
            return runPeers(coordinator);
        }
    }

    private int runPeers(CoordinatorNode coordinator) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop.set(true), "demo-shutdown"));
        List<PeerNode> nodes = new ArrayList<>();
        Map<Long, List<String>> hashes = new ConcurrentHashMap<>();
        double[] valLoss = {Double.NaN, Double.NaN};
        long[] bytes = new long[peers];
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        try {
            for (int i = 0; i < peers; i++) {
                nodes.add(PeerNode.join(Keys.generateEd25519(), List.of(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")),
                        coordinator.bootstrapAddresses()));
            }
            TokenDataset data = ManifestTraining.dataset(coordinator.manifest(), null);
            for (int i = 0; i < peers; i++) {
                int index = i;
                PeerNode node = nodes.get(i);
                threads.add(Thread.ofPlatform().name("demo-peer-" + i).start(() -> {
                    try (ParallelFor pool = new ParallelFor(1); MeshDiloco diloco = new MeshDiloco(node, data, pool,
                            index)) {
                        RoundTelemetry telemetry = new RoundTelemetry(node, 1);
                        if (index == 0) {
                            valLoss[0] = diloco.validationLoss();
                        }
                        diloco.run(rounds, stop::get, outcome -> {
                            telemetry.publish(outcome);
                            hashes.computeIfAbsent(outcome.round(), r -> new java.util.concurrent
                                    .CopyOnWriteArrayList<>()).add(outcome.stateHash());
                            if (outcome.leader() || outcome.groupSize() == 0) {
                                System.err.println("peer " + index + ": " + telemetry.line(outcome));
                            }
                        });
                        bytes[index] = telemetry.bytesSent();
                        if (index == 0) {
                            valLoss[1] = diloco.validationLoss();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
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
            throw new IllegalStateException("a demo peer failed: " + failures.getFirst().getMessage(),
                    failures.getFirst());
        }
        return report(hashes, valLoss, bytes);
    }

    private int report(Map<Long, List<String>> hashes, double[] valLoss, long[] bytes) {
        long identical = hashes.values().stream().filter(h -> h.size() == peers && h.stream().distinct().count() == 1)
                .count();
        System.err.printf(Locale.ROOT, "demo: %d rounds, θ_global identical on all %d peers in %d of them;"
                + " val loss %.4f -> %.4f%n", hashes.size(), peers, identical, valLoss[0], valLoss[1]);
        if (json) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("rounds", hashes.size());
            result.put("peers", peers);
            result.put("rounds_identical", identical);
            result.put("val_loss_start", valLoss[0]);
            result.put("val_loss_end", valLoss[1]);
            result.put("bytes_sent_per_peer", java.util.Arrays.stream(bytes).sum() / peers);
            JsonResult.print(System.out, result);
        }
        return identical == hashes.size() ? 0 : StarlingCommand.EXIT_INTERNAL;
    }
}
