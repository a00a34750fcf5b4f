package dev.starling.coordinator.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.starling.protocol.telemetry.RoundReport;
import dev.starling.protocol.telemetry.TelemetryCodec;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DashboardServerTest {
    private final AtomicLong clock = new AtomicLong();
    private RunViewLoop loop;
    private DashboardServer server;
    private HttpClient http;

    @BeforeEach
    void start() throws Exception {
        loop = new RunViewLoop(clock::get, 30_000_000_000L);
        server = new DashboardServer(loop.view(), loop,
                new DashboardConfig(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "s3cret", 4));
        http = HttpClient.newHttpClient();
    }

    @AfterEach
    void stop() {
        http.close();
        server.close();
        loop.close();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldServeThePageAndTheJsonApi() throws Exception {
        loop.offer(TelemetryCodec.encode(RunViewTest.status("peerA", 2, 2.5)), "peerA");
        loop.offer(new RoundReport(1, 1, 50, 1234, 4.0, Double.NaN, "h1", 0), "peerA");
        loop.sync(() -> { });
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<title>Starling run</title>"));
        assertEquals(200, get("/app.js").statusCode());
        JsonNode summary = DashboardServer.JSON.readTree(get("/api/summary").body());
        assertEquals(1, summary.get("peersAlive").asInt());
        assertEquals(1, summary.get("rounds").asInt());
        JsonNode rounds = DashboardServer.JSON.readTree(get("/api/rounds").body());
        assertEquals("NaN", rounds.get(0).get("valLoss").asText(), "NaN must stay valid JSON");
        assertEquals(404, get("/nope").statusCode());
    }

    @Test
    void shouldExposePrometheusMetrics() throws Exception {
        loop.offer(TelemetryCodec.encode(RunViewTest.status("peer\"A", 2, 2.5)), "peer\"A");
        loop.sync(() -> { });
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("# TYPE starling_peers_alive gauge\nstarling_peers_alive 1\n"), metrics);
        assertTrue(metrics.contains("starling_peer_tokens_per_second{peer=\"peer\\\"A\"} 4000\n"), metrics);
    }

    @Test
    void shouldRefuseAdminActionsWithoutTheOwnersToken() throws Exception {
        assertEquals(401, post("/api/admin/end", null, "").statusCode());
        assertEquals(401, post("/api/admin/end", "wrong", "").statusCode());
        assertEquals(405, get("/api/admin/end").statusCode());
        assertEquals(400, post("/api/admin/ban", "s3cret", "not json").statusCode());
        assertEquals(200, post("/api/admin/ban", "s3cret", "{\"peer\":\"evil\",\"reason\":\"poison\"}").statusCode());
        assertEquals(200, post("/api/admin/end", "s3cret", "").statusCode());
        loop.sync(() -> { });
        assertTrue(loop.view().snapshot().ended());
        assertEquals("evil", loop.view().snapshot().events().getLast().event().peerId());
    }

    @Test
    void shouldDropMalformedTelemetryAndCountIt() throws Exception {
        loop.offer("{\"type\":\"peer\"".getBytes(StandardCharsets.UTF_8), "bad");
        loop.sync(() -> { });
        assertEquals(1, loop.badMessages());
        assertTrue(loop.view().snapshot().peers().isEmpty());
    }

    @Test
    void shouldStreamEachNewSnapshotToLiveClients() throws Exception {
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(uri("/api/stream")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals("text/event-stream", stream.headers().firstValue("Content-Type").orElseThrow());
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            long first = nextSnapshot(reader).get("version").asLong();
            loop.offer(TelemetryCodec.encode(RunViewTest.status("peerB", 1, 3.0)), "peerB");
            JsonNode next = nextSnapshot(reader);
            assertTrue(next.get("version").asLong() > first);
            assertEquals("peerB", next.get("peers").get(0).get("status").get("peerId").asText());
        }
    }

    private static JsonNode nextSnapshot(BufferedReader reader) throws Exception {
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith("data: ")) {
                return DashboardServer.JSON.readTree(line.substring("data: ".length()));
            }
        }
        throw new AssertionError("stream ended");
    }
}
