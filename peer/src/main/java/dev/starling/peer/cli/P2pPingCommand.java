package dev.starling.peer.cli;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.relay.CircuitRelayTransport;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.protocol.ping.PingService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code starling p2p ping MADDR}: dials a libp2p peer over TCP/Noise/yamux, pings it, and prints the dial
 * time and round trips as one JSON line. An unreachable peer is a user error (exit 2).
 */
@Command(name = "ping", mixinStandardHelpOptions = true, description = "Dial a peer and ping it.")
public final class P2pPingCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "the peer's multiaddr, e.g. /ip4/1.2.3.4/tcp/4001/p2p/12D3KooW...")
    String address;

    @Option(names = "--count", description = "number of pings (default: 3)")
    int count = 3;

    @Override
    public Integer call() throws Exception {
        if (count < 1 || count > 1000) throw new UserError("--count must be 1..1000, got " + count);
        Multiaddr target = P2pSupport.parseAddress(address);
        try (Host host = CircuitRelayTransport.install(new HostBuilder().tcpTransport()).build()) { // + /p2p-circuit
            PingService ping = PingService.install(host);
            IdentifyService.install(host);
            long t0 = System.nanoTime();
            Connection c;
            try {
                c = host.dial(target).get(15, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new UserError("cannot reach " + target + ": " + (e.getCause() != null ? e.getCause().getMessage()
                        : "timed out after 15 s"), e);
            }
            double dialMs = (System.nanoTime() - t0) / 1e6;
            System.err.printf("p2p: connected to %s in %.1f ms%n", c.remotePeer(), dialMs);
            List<Double> rtts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                try {
                    double ms = ping.ping(c.remotePeer()).get(10, TimeUnit.SECONDS) / 1e6;
                    rtts.add(ms);
                    System.err.printf("p2p: ping %d: %.2f ms%n", i + 1, ms);
                } catch (ExecutionException | TimeoutException e) {
                    throw new UserError("ping to " + c.remotePeer() + " failed: " + e.getCause(), e);
                }
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("peer_id", c.remotePeer().toBase58());
            line.put("dial_ms", Math.round(dialMs * 100) / 100.0);
            line.put("rtt_ms", rtts.stream().map(v -> Math.round(v * 1000) / 1000.0).toList());
            JsonResult.print(System.out, line);
        }
        return 0;
    }
}
