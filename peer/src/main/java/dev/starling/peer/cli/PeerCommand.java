package dev.starling.peer.cli;

import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.peer.node.KeyFile;
import dev.starling.peer.node.ManifestTraining;
import dev.starling.peer.node.MeshDiloco;
import dev.starling.peer.node.NodeOptions;
import dev.starling.peer.node.PeerNode;
import dev.starling.peer.node.RoundTelemetry;
import dev.starling.tensor.cpu.ParallelFor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling peer}: joins a run and trains it with DiLoCo over the mesh: H local inner steps, then
 * a group formed over gossip and a butterfly all-reduce of the compressed update, then the outer step.
 * Prints a line per round on stderr and one JSON line on stdout when it stops (after {@code --rounds},
 * or on SIGINT/SIGTERM, which finish the current phase first, announce the leave and exit 0).
 */
@Command(name = "peer", mixinStandardHelpOptions = true,
        description = "Join a run and train it with the other peers (DiLoCo rounds over the mesh).")
public final class PeerCommand implements Callable<Integer> {
    @Option(names = "--join", description = "bootstrap multiaddr with /p2p/<id>, repeatable")
    List<String> join = new java.util.ArrayList<>();

    @Option(names = "--join-file", description = "file of bootstrap multiaddrs, one per line (as written by"
            + " 'starling coordinator --bootstrap-file')")
    Path joinFile;

    @Option(names = "--key", defaultValue = "peer.key",
            description = "identity key file, created if absent (default: ${DEFAULT-VALUE})")
    Path key;

    @Option(names = "--listen", defaultValue = "/ip4/0.0.0.0/tcp/0",
            description = "multiaddr to listen on, repeatable (default: ${DEFAULT-VALUE})")
    List<String> listen;

    @Option(names = "--announce", description = "multiaddr other peers should dial to reach this one, repeatable")
    List<String> announce = List.of();

    @Option(names = "--data", description = "local dataset path instead of the manifest's source")
    String data;

    @Option(names = "--threads", description = "CPU threads for training (default: all cores)")
    Integer threads;

    @Option(names = "--rounds", defaultValue = "0", description = "stop after this many outer rounds (0: run until"
            + " stopped)")
    int rounds;

    @Override
    public Integer call() throws Exception {
        int nThreads = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (nThreads < 1 || rounds < 0) {
            throw new UserError("--threads must be at least 1 and --rounds at least 0");
        }
        List<String> bootstrap = new java.util.ArrayList<>(join);
        if (joinFile != null) {
            try {
                java.nio.file.Files.readAllLines(joinFile).stream().map(String::strip).filter(l -> !l.isEmpty())
                        .forEach(bootstrap::add);
            } catch (java.io.IOException e) {
                throw new UserError("cannot read --join-file " + joinFile + ": " + e.getMessage(), e);
            }
        }
        if (bootstrap.isEmpty()) {
            throw new UserError("give --join MADDR (the coordinator prints it) or --join-file FILE");
        }
        PrivateKey identity = KeyFile.loadOrCreate(key);
        GracefulLeave leave = GracefulLeave.install();
        boolean clean = false;
        try (PeerNode node = PeerNode.join(identity, NodeOptions.multiaddrs("--listen", listen),
                NodeOptions.multiaddrs("--announce", announce), NodeOptions.multiaddrs("--join", bootstrap))) {
            System.err.println("peer " + node.peerId() + " joined run " + node.runId().substring(0, 16));
            TokenDataset dataset = ManifestTraining.dataset(node.manifest(), data);
            RoundTelemetry telemetry = new RoundTelemetry(node, nThreads);
            AtomicReference<MeshDiloco.RoundOutcome> last = new AtomicReference<>();
            int shard = node.peerId().hashCode() & 0x7fffffff;
            try (ParallelFor pool = new ParallelFor(nThreads);
                 MeshDiloco diloco = new MeshDiloco(node, dataset, pool, shard)) {
                diloco.run(rounds, leave::stopRequested, outcome -> {
                    last.set(outcome);
                    telemetry.publish(outcome);
                    System.err.println(telemetry.line(outcome));
                });
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("peer_id", node.peerId());
            result.put("run_id", node.runId());
            result.put("rounds", last.get() == null ? 0 : last.get().round());
            result.put("bytes_sent", telemetry.bytesSent());
            result.put("state_hash", last.get() == null ? null : last.get().stateHash());
            JsonResult.print(System.out, result);
            clean = true;
        } finally {
            leave.finished(clean);
        }
        return 0;
    }
}
