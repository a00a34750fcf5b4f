package dev.starling.p2p.pubsub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.kad.DhtCodec;
import dev.starling.p2p.kad.KadConfig;
import dev.starling.p2p.kad.KadDht;
import dev.starling.p2p.kad.RecordValidator;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.protocol.ping.PingService;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Gossipsub messages both ways and DHT records both ways between a Java host and a js-libp2p 2.x node
 * ({@code p2p/interop/pubsub-dht-peer.mjs}) over TCP/Noise/yamux. Skipped locally when node_modules is missing.
 */
@Tag("interop")
class JsGossipAndDhtInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "starling/interop";
    private final LinkedBlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    private final List<JsonNode> seen = new ArrayList<>();
    private Process process;
    private OutputStream stdin;
    private MultiThreadIoEventLoopGroup group;
    private DefaultEventExecutor owner;
    private Host host;
    private GossipSub gossip;
    private KadDht dht;

    private static Path interopDir() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("interop")) ? here.resolve("interop") : here.resolve("p2p/interop");
    }

    @AfterEach
    void stop() throws Exception {
        if (process != null) {
            send("{\"cmd\":\"stop\"}");
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        if (gossip != null) {
            gossip.close();
        }
        if (dht != null) {
            dht.close();
        }
        if (host != null) {
            host.close();
        }
        if (owner != null) {
            owner.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
        if (group != null) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        }
    }

    private void send(String json) throws IOException {
        stdin.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    private JsonNode await(Predicate<JsonNode> match, int seconds) throws InterruptedException {
        for (JsonNode e : seen) {
            if (match.test(e)) {
                return e;
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("js peer: no matching event within " + seconds + " s: " + seen);
            }
            JsonNode e = events.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) {
                continue;
            }
            seen.add(e);
            if ("error".equals(e.path("event").asText())) {
                throw new AssertionError("js peer error: " + e);
            }
            if (match.test(e)) {
                return e;
            }
        }
    }

    private static Predicate<JsonNode> event(String name) {
        return e -> name.equals(e.path("event").asText());
    }

    @Test
    void shouldExchangeGossipAndDhtRecordsWithJsLibp2p() throws Exception {
        boolean installed = Files.isDirectory(interopDir().resolve("node_modules/@chainsafe/libp2p-gossipsub"));
        if (!installed && System.getenv("CI") != null) {
            throw new AssertionError("js-libp2p interop harness not installed: run .ci/install.d/npm-interop.sh");
        }
        Assumptions.assumeTrue(installed, "js-libp2p interop harness not installed (skipped because CI is unset)");
        process = new ProcessBuilder("node", "pubsub-dht-peer.mjs", "--seed", "31").directory(interopDir().toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        stdin = process.getOutputStream();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (line.startsWith("{")) {
                        events.add(JSON.readTree(line));
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        JsonNode listening = await(event("listening"), 30);

        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        owner = new DefaultEventExecutor();
        host = new HostBuilder().identity(Keys.ed25519ForTest(32)).eventLoops(group).tcpTransport().build();
        PingService.install(host);
        IdentifyService identify = IdentifyService.install(host);
        gossip = new GossipSub(host, GossipsubConfig.defaults().withHeartbeatInterval(Duration.ofMillis(200)),
                PeerScoreParams.defaults(Map.of(TOPIC, TopicScoreParams.defaults())), RpcLimits.defaults(),
                MessageIdFunction.JS_DEFAULT, owner, System::nanoTime);
        dht = new KadDht(host, KadConfig.defaults(), DhtCodec.Limits.defaults(), owner, System::nanoTime);
        dht.useIdentify(identify);
        dht.addValidator("starling", new LargestValueWins()).get(5, TimeUnit.SECONDS);
        host.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
        CompletableFuture<String> javaGot = new CompletableFuture<>();
        gossip.subscribe(TOPIC, m -> javaGot.complete(new String(m.data(), StandardCharsets.UTF_8)))
                .get(5, TimeUnit.SECONDS);
        send("{\"cmd\":\"subscribe\",\"topic\":\"" + TOPIC + "\"}");
        host.dial(Multiaddr.fromString(listening.path("addrs").get(0).asText())).get(10, TimeUnit.SECONDS);
        gossip.awaitMesh(TOPIC, 1).get(15, TimeUnit.SECONDS);
        await(e -> "subscription-change".equals(e.path("event").asText())
                && e.path("peer").asText().equals(host.peerId().toBase58()), 15);

        send("{\"cmd\":\"publish\",\"topic\":\"" + TOPIC + "\",\"text\":\"from js\"}");
        assertEquals("from js", javaGot.get(15, TimeUnit.SECONDS));
        gossip.publish(TOPIC, "from java".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        JsonNode msg = await(e -> "message".equals(e.path("event").asText()), 15);
        assertEquals("from java", msg.path("text").asText());
        assertEquals(host.peerId().toBase58(), msg.path("from").asText());

        assertTrue(dht.bootstrap().get(15, TimeUnit.SECONDS) >= 1, "js is a DHT server in our table");
        send("{\"cmd\":\"put\",\"key\":\"/starling/from-js\",\"value\":\"js-value\"}");
        await(event("put"), 20);
        byte[] fromJs = dht.getValue("/starling/from-js".getBytes(StandardCharsets.UTF_8))
                .get(15, TimeUnit.SECONDS).orElseThrow();
        assertEquals("js-value", new String(fromJs, StandardCharsets.UTF_8));
        int stored = dht.putValue("/starling/from-java".getBytes(StandardCharsets.UTF_8),
                "java-value".getBytes(StandardCharsets.UTF_8)).get(15, TimeUnit.SECONDS);
        assertEquals(1, stored, "js accepted our PUT_VALUE");
        send("{\"cmd\":\"get\",\"key\":\"/starling/from-java\"}");
        assertEquals("java-value", await(event("got"), 20).path("value").asText());
    }

    /** Any non-empty value; the lexicographically largest wins (the same rule as the js peer). */
    private static final class LargestValueWins implements RecordValidator {
        @Override
        public boolean validate(byte[] key, byte[] value) {
            return value.length > 0;
        }

        @Override
        public int select(byte[] key, List<byte[]> values) {
            int best = 0;
            for (int i = 1; i < values.size(); i++) {
                if (Arrays.compareUnsigned(values.get(i), values.get(best)) > 0) {
                    best = i;
                }
            }
            return best;
        }
    }
}
