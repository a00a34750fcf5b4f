package dev.starling.p2p.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/**
 * A js-libp2p 2.x peer ({@code p2p/interop/peer.mjs}) in a child process: JSON commands on stdin, JSON
 * events on stdout. Events are queued by a reader thread; tests wait for them with a timeout.
 */
final class JsPeer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private final Process process;
    private final OutputStream stdin;
    private final LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final java.util.List<JsonNode> seen = new java.util.ArrayList<>();
    final JsonNode listening;

    private JsPeer(Process process) throws Exception {
        this.process = process;
        this.stdin = process.getOutputStream();
        this.reader = Thread.ofVirtual().start(this::readEvents);
        this.listening = await(e -> "listening".equals(e.path("event").asText()), 30);
    }

    /** Finds {@code p2p/interop} from the module or repository root. */
    static Path interopDir() {
        Path here = Path.of("").toAbsolutePath();
        Path dir = here.resolve("interop");
        return Files.isDirectory(dir) ? dir : here.resolve("p2p/interop");
    }

    /** Fails (CI) or skips (local) with one line if node_modules is missing. */
    static void requireInstalled() {
        boolean installed = Files.isDirectory(interopDir().resolve("node_modules/libp2p"));
        if (installed) return;
        String msg = "js-libp2p interop harness not installed: run .ci/install.d/npm-interop.sh";
        if (System.getenv("CI") != null) throw new AssertionError(msg);
        Assumptions.abort(msg + " (skipped because CI is unset)");
    }

    static JsPeer start(int seed, String... extraArgs) throws Exception {
        requireInstalled();
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("node", "peer.mjs", "--seed",
                Integer.toString(seed)));
        command.addAll(java.util.List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(interopDir().toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        String debug = System.getProperty("interop.debug");
        if (debug != null) pb.environment().put("DEBUG", debug);
        return new JsPeer(pb.start());
    }

    private void readEvents() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("{")) events.add(JSON.readTree(line));
            }
        } catch (IOException e) {
            // process ended
        }
    }

    void send(String json) throws IOException {
        stdin.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** Waits for an event matching {@code match}, looking also at events seen earlier (none are dropped). */
    JsonNode await(Predicate<JsonNode> match, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        synchronized (seen) {
            for (JsonNode e : seen) {
                if (match.test(e)) return e;
            }
        }
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError("js peer: no matching event within " + seconds + " s: " + seen);
            JsonNode e = events.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) continue;
            synchronized (seen) {
                seen.add(e);
            }
            if ("error".equals(e.path("event").asText())) throw new AssertionError("js peer error: " + e);
            if (match.test(e)) return e;
        }
    }

    String peerId() {
        return listening.path("peer").asText();
    }

    String address() {
        return listening.path("addrs").get(0).asText();
    }

    @Override
    public void close() throws Exception {
        try {
            send("{\"cmd\":\"stop\"}");
        } catch (IOException ignored) {
            // already gone
        }
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
        reader.join(2000);
    }
}
