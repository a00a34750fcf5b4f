package dev.starling.peer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.security.noise.AeadThroughput;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench p2p}: one stream over TCP loopback with Noise and yamux, Java to Java and, in the same
 * run, js-libp2p to js-libp2p (two node processes from {@code p2p/interop}): throughput in MB/s (10^6 bytes)
 * and dial+handshake time (median of several dials). Progress on stderr, one JSON line on stdout.
 */
@Command(name = "p2p", mixinStandardHelpOptions = true,
        description = "Throughput and dial latency of one Noise+yamux stream on loopback, Java and js-libp2p.")
public final class BenchP2pCommand implements Callable<Integer> {
    /** The sink protocol: the listener counts bytes until FIN, then answers the count in decimal. */
    static final String SINK = "/starling/bench/1.0.0";
    private static final int CHUNK = 256 * 1024;
    private static final int DIALS = 7;

    @Option(names = "--bytes", description = "bytes sent Java to Java (default: 2 GiB)")
    long bytes = 2L << 30;

    @Option(names = "--js-bytes", description = "bytes sent js to js (default: 256 MiB)")
    long jsBytes = 256L << 20;

    @Option(names = "--no-js", description = "skip the js-libp2p run")
    boolean noJs;

    @Option(names = "--aead-bytes", description = "bytes sealed by the Noise AEAD alone, one thread (default: 1 GiB)")
    long aeadBytes = 1L << 30;

    @Option(names = "--interop-dir", description = "the js harness (default: p2p/interop next to the jar)")
    Path interopDir;

    @Override
    public Integer call() throws Exception {
        if (bytes < CHUNK || jsBytes < CHUNK) throw new UserError("--bytes and --js-bytes must be at least " + CHUNK);
        Map<String, Object> result = new LinkedHashMap<>();
        double[] java = javaRun();
        result.put("java_mb_s", round(java[0]));
        result.put("java_dial_ms", round(java[1]));
        double[] js = noJs ? null : jsRun();
        result.put("js_mb_s", js == null ? null : round(js[0]));
        result.put("js_dial_ms", js == null ? null : round(js[1]));
        result.put("speedup", js == null ? null : round(java[0] / js[0]));
        // MB per CPU second of both ends together: comparable across runs on a loaded machine
        result.put("java_mb_per_cpu_s", round(java[2]));
        result.put("js_mb_per_cpu_s", js == null ? null : round(js[2]));
        // the cipher alone on one thread: the ceiling of an end that encrypts or decrypts every byte on one core
        AeadThroughput.Figures aead = AeadThroughput.measure(aeadBytes);
        System.err.printf("bench p2p: AEAD alone %.0f MB per CPU s (ChaCha20 %.0f, Poly1305 %.0f)%n",
                aead.aeadSealMbPerCpuS(), aead.chacha20MbPerCpuS(), aead.poly1305MbPerCpuS());
        result.put("aead_mb_per_cpu_s", round(aead.aeadSealMbPerCpuS()));
        result.put("chacha20_mb_per_cpu_s", round(aead.chacha20MbPerCpuS()));
        result.put("poly1305_mb_per_cpu_s", round(aead.poly1305MbPerCpuS()));
        result.put("java_bytes", bytes);
        result.put("js_bytes", js == null ? null : jsBytes);
        JsonResult.print(System.out, result);
        return 0;
    }

    /** CPU time a process has used so far (all its threads), or 0 where the OS does not say. */
    private static long processCpuNanos(ProcessHandle process) {
        return process.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private double[] javaRun() throws Exception {
        MultiThreadIoEventLoopGroup serverLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        MultiThreadIoEventLoopGroup clientLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Host server = new HostBuilder().identity(Keys.ed25519ForTest(71)).eventLoops(serverLoop).tcpTransport().build();
        Host client = new HostBuilder().identity(Keys.ed25519ForTest(72)).eventLoops(clientLoop).tcpTransport().build();
        try {
            server.setHandler(SINK, s -> BulkTransfer.sink());
            Multiaddr addr = server.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(10, TimeUnit.SECONDS)
                    .withPeerId(server.peerId());
            List<Double> dials = new ArrayList<>();
            for (int i = 0; i <= DIALS; i++) {
                long t0 = System.nanoTime();
                Connection c = client.dial(addr).get(10, TimeUnit.SECONDS);
                if (i > 0) dials.add((System.nanoTime() - t0) / 1e6); // the first dial warms up the JIT
                c.close();
                c.closeFuture().get(10, TimeUnit.SECONDS);
            }
            Collections.sort(dials);
            double dialMs = dials.get(dials.size() / 2);
            System.err.printf("bench p2p: java dial+handshake median %.2f ms%n", dialMs);
            Connection c = client.dial(addr).get(10, TimeUnit.SECONDS);
            BulkTransfer.send(c, SINK, Math.min(bytes, 256L << 20), CHUNK, 120); // warm-up
            long cpu0 = processCpuNanos(ProcessHandle.current());
            long t0 = System.nanoTime();
            long got = BulkTransfer.send(c, SINK, bytes, CHUNK, 120);
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpuSecs = (processCpuNanos(ProcessHandle.current()) - cpu0) / 1e9;
            double mbs = got / secs / 1e6;
            System.err.printf("bench p2p: java %d bytes in %.2f s = %.1f MB/s, %.2f CPU s (both ends)%n", got, secs,
                    mbs, cpuSecs);
            return new double[] {mbs, dialMs, got / cpuSecs / 1e6};
        } finally {
            client.close();
            server.close();
            serverLoop.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS);
            clientLoop.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS);
        }
    }

    private Path findInteropDir() {
        if (interopDir != null) return interopDir;
        try {
            Path jar = Path.of(BenchP2pCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = jar; p != null; p = p.getParent()) {
                if (Files.isDirectory(p.resolve("p2p/interop"))) return p.resolve("p2p/interop");
            }
        } catch (java.net.URISyntaxException | SecurityException ignored) {
            // fall through to the working directory
        }
        return Path.of("p2p/interop");
    }

    private double[] jsRun() throws Exception {
        Path dir = findInteropDir();
        if (!Files.isDirectory(dir.resolve("node_modules/libp2p"))) {
            System.err.println("bench p2p: js-libp2p not installed in " + dir
                    + "; run .ci/install.d/npm-interop.sh (js figures left out)");
            return null;
        }
        ObjectMapper json = new ObjectMapper();
        Process a = startNode(dir, 73);
        Process b = startNode(dir, 74);
        try {
            BufferedReader ra = reader(a);
            BufferedReader rb = reader(b);
            JsonNode la = await(json, ra, "listening");
            String target = await(json, rb, "listening").path("addrs").get(0).asText();
            // the bench command dials once per call; median over several fresh dials needs fresh peers, so the
            // dial time is that of the run's own connection (js reports it with the throughput)
            send(a.getOutputStream(), "{\"cmd\":\"bench\",\"addr\":\"" + target + "\",\"bytes\":"
                    + (jsBytes / 4) + "}");
            await(json, ra, "bench"); // warm-up on the same connection
            long cpu0 = processCpuNanos(a.toHandle()) + processCpuNanos(b.toHandle());
            send(a.getOutputStream(), "{\"cmd\":\"bench\",\"addr\":\"" + target + "\",\"bytes\":" + jsBytes + "}");
            JsonNode r = await(json, ra, "bench");
            double cpuSecs = (processCpuNanos(a.toHandle()) + processCpuNanos(b.toHandle()) - cpu0) / 1e9;
            double mbs = r.path("mbPerS").asDouble();
            double dial = firstDial(json, dir);
            System.err.printf("bench p2p: js %d bytes at %.1f MB/s, dial+handshake %.2f ms (%s)%n", jsBytes, mbs,
                    dial, la.path("peer").asText());
            return new double[] {mbs, dial, jsBytes / cpuSecs / 1e6};
        } finally {
            a.destroy();
            b.destroy();
            a.waitFor(5, TimeUnit.SECONDS);
            b.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /** Median dial+handshake time of fresh js peers dialing one js listener. */
    private double firstDial(ObjectMapper json, Path dir) throws Exception {
        Process listener = startNode(dir, 75);
        List<Double> dials = new ArrayList<>();
        try {
            String target = await(json, reader(listener), "listening").path("addrs").get(0).asText();
            for (int i = 0; i < 3; i++) {
                Process dialer = startNode(dir, 76 + i);
                try {
                    BufferedReader r = reader(dialer);
                    await(json, r, "listening");
                    send(dialer.getOutputStream(), "{\"cmd\":\"bench\",\"addr\":\"" + target + "\",\"bytes\":"
                            + CHUNK + "}");
                    dials.add(await(json, r, "bench").path("dialMs").asDouble());
                } finally {
                    dialer.destroy();
                    dialer.waitFor(5, TimeUnit.SECONDS);
                }
            }
        } finally {
            listener.destroy();
            listener.waitFor(5, TimeUnit.SECONDS);
        }
        Collections.sort(dials);
        return dials.get(dials.size() / 2);
    }

    private static Process startNode(Path dir, int seed) throws java.io.IOException {
        return new ProcessBuilder("node", "peer.mjs", "--seed", Integer.toString(seed)).directory(dir.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static BufferedReader reader(Process p) {
        return new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    }

    private static void send(OutputStream out, String line) throws java.io.IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static JsonNode await(ObjectMapper json, BufferedReader r, String event) throws java.io.IOException {
        String line;
        while ((line = r.readLine()) != null) {
            if (!line.startsWith("{")) continue;
            JsonNode n = json.readTree(line);
            if ("error".equals(n.path("event").asText())) throw new IllegalStateException("js peer: " + n);
            if (event.equals(n.path("event").asText())) return n;
        }
        throw new IllegalStateException("js peer exited before '" + event + "'");
    }
}
