package dev.starling.peer.cli;

import dev.starling.coordinator.dashboard.DashboardConfig;
import dev.starling.coordinator.node.CoordinatorConfig;
import dev.starling.coordinator.node.CoordinatorNode;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.peer.node.KeyFile;
import dev.starling.peer.node.NodeOptions;
import dev.starling.protocol.manifest.ManifestException;
import dev.starling.protocol.manifest.ManifestParser;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling coordinator}: serves a run's signed manifest and bootstrap address, watches the run
 * through gossip and serves the dashboard. Prints one JSON line with the addresses, then runs until
 * SIGINT or SIGTERM.
 */
@Command(name = "coordinator", mixinStandardHelpOptions = true,
        description = "Start a run: serve its manifest and bootstrap address, and the live dashboard.")
public final class CoordinatorCommand implements Callable<Integer> {
    @Option(names = "--manifest", required = true, description = "the run manifest (TOML)")
    Path manifest;

    @Option(names = "--key", defaultValue = "coordinator.key",
            description = "identity key file, created if absent (default: ${DEFAULT-VALUE})")
    Path key;

    @Option(names = "--listen", defaultValue = "/ip4/0.0.0.0/tcp/4001",
            description = "multiaddr to listen on, repeatable (default: ${DEFAULT-VALUE})")
    List<String> listen;

    @Option(names = "--announce", description = "multiaddr to advertise instead, repeatable")
    List<String> announce = List.of();

    @Option(names = "--dashboard", defaultValue = "127.0.0.1:8080",
            description = "dashboard bind address HOST:PORT (default: ${DEFAULT-VALUE})")
    String dashboard;

    @Option(names = "--admin-token-file", description = "file holding the run owner's dashboard token;"
            + " a random token is generated and printed if absent")
    Path adminTokenFile;

    @Option(names = "--bootstrap-file", description = "also write the bootstrap multiaddrs to this file, one per line"
            + " (for scripts and containers; peers read it with --join-file)")
    Path bootstrapFile;

    @Override
    public Integer call() throws Exception {
        try {
            ManifestParser.load(manifest);
        } catch (ManifestException e) {
            throw new UserError(e.getMessage(), e);
        }
        PrivateKey identity = KeyFile.loadOrCreate(key);
        String token = adminToken();
        CoordinatorConfig config = new CoordinatorConfig(manifest, identity, NodeOptions.multiaddrs("--listen", listen),
                NodeOptions.multiaddrs("--announce", announce),
                new DashboardConfig(NodeOptions.hostPort("--dashboard", dashboard), token, 64));
        CoordinatorNode node;
        try {
            node = CoordinatorNode.start(config);
        } catch (ManifestException | P2pException e) {
            throw new UserError(e.getMessage(), e);
        } catch (IOException e) {
            throw new UserError("cannot start the coordinator: " + e.getMessage()
                    + " (is the port taken? pick another with --listen or --dashboard)", e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "coordinator-shutdown"));
        InetSocketAddress bound = config.dashboard().bind();
        Map<String, Object> ready = new LinkedHashMap<>();
        ready.put("run_id", node.runId());
        ready.put("bootstrap", node.bootstrapAddresses().stream().map(Multiaddr::toString).toList());
        ready.put("dashboard", "http://" + bound.getHostString() + ":" + node.dashboardPort() + "/");
        if (adminTokenFile == null) {
            ready.put("admin_token", token);
        }
        if (bootstrapFile != null) {
            writeBootstrapFile(node);
        }
        JsonResult.print(System.out, ready);
        System.err.println("coordinator: run " + node.runId().substring(0, 16) + " ready; peers join with:"
                + " starling peer --join " + node.bootstrapAddresses().getFirst());
        stopped.await();
        return 0;
    }

    private void writeBootstrapFile(CoordinatorNode node) {
        try {
            Path tmp = bootstrapFile.resolveSibling(bootstrapFile.getFileName() + ".tmp");
            Files.write(tmp, node.bootstrapAddresses().stream().map(Multiaddr::toString).toList());
            Files.move(tmp, bootstrapFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError("cannot write --bootstrap-file " + bootstrapFile + ": " + e.getMessage(), e);
        }
    }

    private String adminToken() {
        if (adminTokenFile == null) {
            byte[] random = new byte[16];
            new SecureRandom().nextBytes(random);
            return HexFormat.of().formatHex(random);
        }
        try {
            String token = Files.readString(adminTokenFile).strip();
            if (token.length() < 8) {
                throw new UserError("admin token in " + adminTokenFile + " is shorter than 8 characters");
            }
            return token;
        } catch (IOException e) {
            throw new UserError("cannot read --admin-token-file " + adminTokenFile + ": " + e.getMessage(), e);
        }
    }
}
