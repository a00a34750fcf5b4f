package dev.starling.coordinator.dashboard;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.starling.protocol.telemetry.RoundReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * The dashboard over HTTP: the page ({@code /}), a JSON API behind every view ({@code /api/...}),
 * live updates as server-sent events ({@code /api/stream}), Prometheus text ({@code /metrics}), and
 * the run owner's admin actions ({@code POST /api/admin/...}, bearer token). Read-only without the
 * token. Threads: one virtual thread per request, owned by this server; handlers only read the
 * view's published snapshot. {@link #close()} stops the server and its threads.
 */
public final class DashboardServer implements AutoCloseable {
    /** Largest admin request body read. */
    static final int MAX_ADMIN_BODY = 4096;

    static final ObjectMapper JSON = JsonMapper.builder().enable(JsonWriteFeature.WRITE_NAN_AS_STRINGS).build();

    private final RunView view;
    private final AdminActions admin;
    private final DashboardConfig config;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Semaphore streams;

    /**
     * Binds and starts the server.
     *
     * @param view   the run view whose snapshots are served
     * @param admin  where admin actions go
     * @param config address, admin token and caps
     * @throws IOException if the address cannot be bound (for example the port is taken)
     */
    public DashboardServer(RunView view, AdminActions admin, DashboardConfig config) throws IOException {
        this.view = view;
        this.admin = admin;
        this.config = config;
        this.streams = new Semaphore(config.maxStreams());
        this.executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("dashboard-", 0).factory());
        this.server = HttpServer.create(config.bind(), 64);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * The bound port (useful when the config asked for port 0).
     *
     * @return the local port
     */
    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (path.startsWith("/api/admin/")) {
                handleAdmin(exchange, path, method);
                return;
            }
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                send(exchange, 405, "text/plain", "only GET here\n");
                return;
            }
            RunSnapshot s = view.snapshot();
            switch (path) {
                case "/", "/index.html" -> sendResource(exchange, "index.html", "text/html; charset=utf-8");
                case "/app.js" -> sendResource(exchange, "app.js", "text/javascript; charset=utf-8");
                case "/style.css" -> sendResource(exchange, "style.css", "text/css; charset=utf-8");
                case "/api/summary" -> sendJson(exchange, summary(s));
                case "/api/snapshot" -> sendJson(exchange, s);
                case "/api/peers" -> sendJson(exchange, s.peers());
                case "/api/rounds" -> sendJson(exchange, s.rounds());
                case "/api/events" -> sendJson(exchange, s.events());
                case "/api/losses" -> sendJson(exchange, s.losses());
                case "/api/stream" -> new SnapshotStream(view, streams).serve(exchange);
                case "/metrics" -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
                        PrometheusText.render(s));
                default -> send(exchange, 404, "text/plain", "no such page: " + path + "\n");
            }
        }
    }

    static Map<String, Object> summary(RunSnapshot s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("runId", s.runId());
        out.put("version", s.version());
        out.put("startedAtMs", s.startedAtMs());
        out.put("peersAlive", s.peers().stream().filter(RunSnapshot.PeerRow::alive).count());
        out.put("peersSeen", s.peers().size());
        out.put("rounds", s.rounds().size());
        out.put("lastRound", s.rounds().isEmpty() ? null : s.rounds().getLast());
        out.put("ended", s.ended());
        out.put("stages", s.stages());
        out.put("rejectedUpdates", s.rounds().stream().mapToLong(RoundReport::rejected).sum());
        return out;
    }

    private void handleAdmin(HttpExchange exchange, String path, String method) throws IOException {
        if (!"POST".equals(method)) {
            send(exchange, 405, "text/plain", "admin actions need POST\n");
            return;
        }
        if (!authorized(exchange)) {
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
            send(exchange, 401, "text/plain", "admin actions need the run owner's token\n");
            return;
        }
        switch (path) {
            case "/api/admin/end" -> {
                admin.endRun();
                sendJson(exchange, Map.of("ok", true));
            }
            case "/api/admin/ban" -> {
                JsonNode body = readBody(exchange);
                String peer = body == null ? null : body.path("peer").asText(null);
                if (peer == null || peer.isBlank() || peer.length() > 128) {
                    send(exchange, 400, "text/plain", "send {\"peer\": \"<peer id>\", \"reason\": \"...\"}\n");
                    return;
                }
                String reason = body.path("reason").asText("banned by the run owner");
                admin.ban(peer, reason.length() > 200 ? reason.substring(0, 200) : reason);
                sendJson(exchange, Map.of("ok", true, "banned", peer));
            }
            default -> send(exchange, 404, "text/plain", "no such admin action: " + path + "\n");
        }
    }

    private boolean authorized(HttpExchange exchange) {
        String token = config.adminToken();
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        if (token.isEmpty() || header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        byte[] given = header.substring("Bearer ".length()).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_ADMIN_BODY + 1);
            if (body.length > MAX_ADMIN_BODY) {
                return null;
            }
            return JSON.readTree(body);
        } catch (JacksonException e) {
            return null;
        }
    }

    private static void sendResource(HttpExchange exchange, String name, String type) throws IOException {
        try (InputStream in = DashboardServer.class.getResourceAsStream(name)) {
            if (in == null) {
                send(exchange, 500, "text/plain", "dashboard resource " + name + " is missing from the jar\n");
                return;
            }
            sendBytes(exchange, 200, type, in.readAllBytes());
        }
    }

    private static void sendJson(HttpExchange exchange, Object value) throws IOException {
        sendBytes(exchange, 200, "application/json", JSON.writeValueAsBytes(value));
    }

    private static void send(HttpExchange exchange, int status, String type, String text) throws IOException {
        sendBytes(exchange, status, type, text.getBytes(StandardCharsets.UTF_8));
    }

    private static void sendBytes(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Stops accepting requests, ends live streams and stops the request threads. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
