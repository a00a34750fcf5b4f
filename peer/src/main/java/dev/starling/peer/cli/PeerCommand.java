package dev.starling.peer.cli;

import dev.starling.model.Gpt;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.peer.node.KeyFile;
import dev.starling.peer.node.ManifestTraining;
import dev.starling.peer.node.NodeOptions;
import dev.starling.peer.node.PeerNode;
import dev.starling.protocol.manifest.RunManifest;
import dev.starling.protocol.telemetry.PeerStatus;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import dev.starling.training.Trainer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling peer}: joins a run and trains. Today a peer trains the run's model locally with the
 * manifest's inner optimizer and reports its progress to the run's telemetry topic; outer rounds over
 * the mesh (DiLoCo) are not wired into the daemon yet, so its round stays 0. Runs until SIGINT/SIGTERM
 * or {@code --steps}, then prints one JSON line.
 */
@Command(name = "peer", mixinStandardHelpOptions = true,
        description = "Join a run and train (local inner steps with telemetry; outer rounds not wired yet).")
public final class PeerCommand implements Callable<Integer> {
    /** Seconds between two telemetry messages. */
    static final long STATUS_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(2);

    @Option(names = "--join", required = true, description = "bootstrap multiaddr with /p2p/<id>, repeatable")
    List<String> join;

    @Option(names = "--key", defaultValue = "peer.key",
            description = "identity key file, created if absent (default: ${DEFAULT-VALUE})")
    Path key;

    @Option(names = "--listen", defaultValue = "/ip4/0.0.0.0/tcp/0",
            description = "multiaddr to listen on, repeatable (default: ${DEFAULT-VALUE})")
    List<String> listen;

    @Option(names = "--data", description = "local dataset path instead of the manifest's source")
    String data;

    @Option(names = "--threads", description = "CPU threads for training (default: all cores)")
    Integer threads;

    @Option(names = "--steps", defaultValue = "0", description = "stop after this many inner steps (0: run until"
            + " stopped)")
    int steps;

    @Override
    public Integer call() throws Exception {
        int nThreads = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (nThreads < 1 || steps < 0) {
            throw new UserError("--threads must be at least 1 and --steps at least 0");
        }
        PrivateKey identity = KeyFile.loadOrCreate(key);
        AtomicBoolean stop = new AtomicBoolean();
        Thread main = Thread.currentThread();
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                main.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "peer-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (PeerNode node = PeerNode.join(identity, NodeOptions.multiaddrs("--listen", listen),
                NodeOptions.multiaddrs("--join", join))) {
            System.err.println("peer " + node.peerId() + " joined run " + node.runId().substring(0, 16));
            return train(node, nThreads, stop);
        }
    }

    private int train(PeerNode node, int nThreads, AtomicBoolean stop) {
        RunManifest manifest = node.manifest();
        TokenDataset dataset = ManifestTraining.dataset(manifest, data);
        int schedule = steps > 0 ? steps : manifest.inner().steps() * 100;
        TrainConfig config = ManifestTraining.config(manifest, dataset, schedule,
                manifest.seed() ^ node.peerId().hashCode());
        long start = System.nanoTime();
        long lastStatus = start - STATUS_INTERVAL_NANOS;
        int done = 0;
        float loss = Float.NaN;
        try (ParallelFor pool = new ParallelFor(nThreads); Gpt gpt = new Gpt(config.model());
             Trainer trainer = new Trainer(config, gpt, dataset, pool)) {
            gpt.initGpt2(manifest.seed());
            int tokensPerStep = config.batchSize() * config.seqLen();
            while (!stop.get() && (steps == 0 || done < steps) && done < schedule) {
                loss = trainer.step();
                done++;
                long now = System.nanoTime();
                if (now - lastStatus >= STATUS_INTERVAL_NANOS || done == steps) {
                    lastStatus = now;
                    double tokensPerS = done * (double) tokensPerStep / ((now - start) / 1e9);
                    node.publish(status(node, done, trainer.recentTrainLoss(), tokensPerS, nThreads, start, now));
                    System.err.printf(Locale.ROOT, "step %d  loss %.4f  %.0f tok/s  peers %d%n", done,
                            trainer.recentTrainLoss(), tokensPerS, node.connectedPeers());
                }
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("peer_id", node.peerId());
        result.put("run_id", node.runId());
        result.put("steps", done);
        result.put("train_loss", loss);
        result.put("wall_s", (System.nanoTime() - start) / 1e9);
        JsonResult.print(System.out, result);
        return 0;
    }

    private PeerStatus status(PeerNode node, int done, float loss, double tokensPerS, int nThreads, long start,
                              long now) {
        RunManifest m = node.manifest();
        int h = m.inner().steps();
        long mib = Runtime.getRuntime().maxMemory() >> 20;
        return new PeerStatus(node.peerId(), nThreads + " threads, " + mib + " MiB heap", "cpu",
                0, 0, done % h, h, tokensPerS, loss, 0, 0, (now - start) / 1_000_000_000L, "none");
    }
}
