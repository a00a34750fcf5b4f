package dev.starling.peer.cli;

import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.Multiaddr;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling peer}: joins a run and trains it with DiLoCo over the mesh: H local inner steps, then
 * a group formed over gossip and a butterfly all-reduce of the compressed update, then the outer step.
 * Prints a line per round on stderr and one JSON line on stdout when it stops (after {@code --rounds},
 * or on SIGINT/SIGTERM, which finish the current phase first).
 */
@Command(name = "peer", mixinStandardHelpOptions = true,
        description = "Join a run and train it with the other peers (DiLoCo rounds over the mesh).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:left after --rounds, or after SIGINT/SIGTERM finished or abandoned the current round and"
                    + " announced the leave",
            "1:internal error (a bug: one line and a stack trace)",
            "2:user error: a bad flag or file, an unreachable --join address, a port in use, a manifest this peer"
                    + " cannot honour, not admitted by the run, --device cuda, a run over --max-memory",
            "3:banned by the run owner (the coordinator gossiped the ban)"})
public final class PeerCommand implements Callable<Integer> {
    /** Exit code when the run owner banned this peer. */
    static final int EXIT_BANNED = 3;

    @picocli.CommandLine.Mixin
    ResourceOptions resources = new ResourceOptions();

    @Option(names = "--token", description = "join token from the run owner (runs with [admission] policy ="
            + " \"token\"): the text 'starling token' printed, or @FILE to read it from a file")
    String token;

    @Option(names = "--log", defaultValue = "auto", paramLabel = "auto|live|logfmt", description = "progress on"
            + " stderr: a live line on a terminal, one key=value line per event otherwise (default: ${DEFAULT-VALUE})")
    String log;

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

    @Option(names = "--relay", description = "circuit relay v2 multiaddr with /p2p/<id>, repeatable: keep a"
            + " reservation there and announce the /p2p-circuit address (for peers behind NAT)")
    List<String> relay = List.of();

    @Option(names = "--data", description = "local dataset path instead of the manifest's source")
    String data;

    @Option(names = "--threads", description = "CPU threads for training (default: all cores)")
    Integer threads;

    @Option(names = "--rounds", defaultValue = "0", description = "stop after this many outer rounds (0: run until"
            + " stopped)")
    int rounds;

    @Option(names = "--attack", paramLabel = "NAME", description = "for experiments: attack the run (sign-flip,"
            + " noise, alie, ipm, stale-replay, lying-reducer)")
    String attack;

    @Override
    public Integer call() throws Exception {
        int nThreads = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (nThreads < 1 || rounds < 0) {
            throw new UserError("--threads must be at least 1 and --rounds at least 0");
        }
        if (!List.of("auto", "live", "logfmt").contains(log)) {
            throw new UserError("--log " + log + " is not auto, live or logfmt");
        }
        ResourceOptions.Device device = resources.device();
        resources.maxMemoryBytes();
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
        dev.starling.collectives.attack.SelfAttack attacker = NodeOptions.attack(attack, System.nanoTime());
        PrivateKey identity = KeyFile.loadOrCreate(key);
        AtomicBoolean stop = new AtomicBoolean();
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger code = new java.util.concurrent.atomic.AtomicInteger(-1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (finished.getCount() == 0) {
                return; // a normal exit
            }
            stop.set(true);
            try {
                // not main.join: main then blocks in System.exit
                if (finished.await(30, TimeUnit.SECONDS) && code.get() == 0) {
                    System.out.flush();
                    Runtime.getRuntime().halt(0); // left cleanly after SIGTERM: exit 0, not the JVM's 143
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "peer-shutdown"));
        try {
            int result = train(identity, bootstrap, nThreads, device, attacker, stop);
            code.set(result);
            return result;
        } finally {
            finished.countDown();
        }
    }

    private int train(PrivateKey identity, List<String> bootstrap, int nThreads, ResourceOptions.Device device,
                      dev.starling.collectives.attack.SelfAttack attacker, AtomicBoolean stop)
            throws InterruptedException {
        List<Multiaddr> listenOn = new java.util.ArrayList<>(NodeOptions.multiaddrs("--listen", listen));
        listenOn.addAll(NodeOptions.relayListenAddresses(relay));
        try (PeerNode node = PeerNode.join(identity, listenOn,
                NodeOptions.multiaddrs("--announce", announce), NodeOptions.multiaddrs("--join", bootstrap),
                JoinTokens.fromFlag(token))) {
            dev.starling.peer.node.PipelineManifest.requireWholeModel(node.manifest());
            TokenDataset dataset = ManifestTraining.dataset(node.manifest(), data);
            resources.checkFits(dev.starling.peer.node.MemoryEstimate.of(node.manifest(), dataset.vocabSize()));
            PeerConsole console = PeerConsole.create(System.err, log, (long) node.manifest().data().batchSize()
                    * node.manifest().model().blockSize(), System.nanoTime());
            console.joined(node.peerId(), node.runId(), device.name(), device.reason());
            RoundTelemetry telemetry = new RoundTelemetry(node, nThreads);
            AtomicReference<MeshDiloco.RoundOutcome> last = new AtomicReference<>();
            int shard = node.peerId().hashCode() & 0x7fffffff;
            RunOwnerEvents owner = new RunOwnerEvents(node, console, stop);
            try (ParallelFor pool = new ParallelFor(nThreads);
                 MeshDiloco diloco = new MeshDiloco(node, dataset, pool, shard)) {
                diloco.onInnerStep((step, of, loss) -> {
                    owner.drain();
                    console.innerStep(step, of, loss, System.nanoTime());
                });
                diloco.attack(attacker);
                diloco.run(rounds, stop::get, outcome -> {
                    last.set(outcome);
                    telemetry.publish(outcome);
                    console.roundDone(outcome, System.nanoTime());
                    owner.drain();
                });
            }
            if (owner.bannedSelf()) {
                console.leaving("banned by the run owner");
                return EXIT_BANNED;
            }
            console.leaving(stop.get() ? "asked to stop" : "done " + rounds + " rounds");
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("peer_id", node.peerId());
            result.put("run_id", node.runId());
            result.put("rounds", last.get() == null ? 0 : last.get().round());
            result.put("bytes_sent", telemetry.bytesSent());
            result.put("state_hash", last.get() == null ? null : last.get().stateHash());
            JsonResult.print(System.out, result);
            return 0;
        }
    }
}
