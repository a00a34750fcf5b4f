package dev.starling.peer.cli;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.emulation.LinkEmulation;
import dev.starling.p2p.emulation.LinkProfile;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.ping.PingService;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench link}: what one libp2p connection (TCP, Noise, yamux) delivers over a link: the median
 * libp2p ping round trip and the time of one stream of N MB. Three modes, so an emulated link can be compared
 * with a real or namespace-lab one: {@code --emulate SPEC} runs both hosts in this JVM on loopback with
 * {@link LinkEmulation}; {@code --serve ADDR} runs the receiving host (prints its address, runs until killed);
 * {@code --to MADDR} dials such a host. Runs on the calling thread; each host has its own event loop.
 */
@Command(name = "link", mixinStandardHelpOptions = true,
        description = "Ping RTT and one-stream transfer time over a (real or emulated) link, as JSON.")
public final class BenchLinkCommand implements Callable<Integer> {
    /** The sink protocol: counts bytes until FIN, answers the count in decimal. */
    static final String SINK = "/starling/bench-link/1.0.0";
    private static final int CHUNK = 64 * 1024;
    private static final int PINGS = 9;

    @Option(names = "--emulate", description = "RATE,DELAY[,LOSS]: both ends here, on an emulated link")
    String emulate;

    @Option(names = "--serve", description = "listen address of the receiving end, e.g. /ip4/10.77.0.2/tcp/4001")
    String serve;

    @Option(names = "--to", description = "multiaddr (with /p2p/ID) of a host started with --serve")
    String to;

    @Option(names = "--mb", defaultValue = "20", description = "MB (10^6 bytes) to send (default 20)")
    double mb;

    @Override
    public Integer call() throws Exception {
        int modes = (emulate != null ? 1 : 0) + (serve != null ? 1 : 0) + (to != null ? 1 : 0);
        if (modes != 1) throw new UserError("give exactly one of --emulate, --serve or --to");
        if (!(mb > 0 && mb <= 10_000)) throw new UserError("--mb must be in (0, 10000], got " + mb);
        if (serve != null) return serve();
        LinkEmulation emulation = null;
        if (emulate != null) {
            try {
                emulation = LinkEmulation.uniform(LinkProfile.parse(emulate));
            } catch (IllegalArgumentException e) {
                throw new UserError("--emulate: " + e.getMessage(), e);
            }
        }
        Host server = null;
        Multiaddr target;
        if (emulation != null) {
            server = receiver(emulation);
            target = server.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(10, TimeUnit.SECONDS)
                    .withPeerId(server.peerId());
        } else {
            target = parse(to);
        }
        HostBuilder b = new HostBuilder().identity(Keys.ed25519ForTest(82)).tcpTransport();
        if (emulation != null) b.linkEmulation(emulation);
        Host client = b.build();
        PingService ping = PingService.install(client);
        try {
            Connection c = client.dial(target).get(30, TimeUnit.SECONDS);
            List<Double> rtts = new ArrayList<>();
            for (int i = 0; i < PINGS; i++) {
                rtts.add(ping.ping(c.remotePeer()).get(30, TimeUnit.SECONDS) / 1e6);
            }
            Collections.sort(rtts);
            long bytes = Math.round(mb * 1e6);
            long t0 = System.nanoTime();
            long got = BulkTransfer.send(c, SINK, bytes, CHUNK, 600);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("mode", emulate != null ? "emulated " + emulate : "remote " + to);
            result.put("ping_rtt_ms", Math.round(rtts.get(PINGS / 2) * 100) / 100.0);
            result.put("mb", mb);
            result.put("seconds", Math.round(seconds * 1000) / 1000.0);
            result.put("mbit_s", Math.round(got * 8 / seconds / 1e4) / 100.0);
            JsonResult.print(System.out, result);
        } finally {
            client.close();
            if (server != null) server.close();
        }
        return 0;
    }

    private static Multiaddr parse(String text) {
        try {
            return Multiaddr.fromString(text);
        } catch (RuntimeException e) {
            throw new UserError("not a multiaddr: " + text + " (" + e.getMessage() + ")", e);
        }
    }

    private static Host receiver(LinkEmulation emulation) {
        HostBuilder b = new HostBuilder().identity(Keys.ed25519ForTest(81)).tcpTransport();
        if (emulation != null) b.linkEmulation(emulation);
        Host h = b.build();
        PingService.install(h);
        h.setHandler(SINK, s -> BulkTransfer.sink());
        return h;
    }

    private int serve() throws Exception {
        Host h = receiver(null);
        Multiaddr bound = h.listen(parse(serve)).get(10, TimeUnit.SECONDS);
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("addr", bound.withPeerId(h.peerId()).toString());
        JsonResult.print(System.out, line);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            h.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
