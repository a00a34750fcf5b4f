package dev.starling.peer.cli;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.ConnectionListener;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.relay.CircuitMessages;
import dev.starling.p2p.relay.CircuitRelayServer;
import dev.starling.p2p.relay.CircuitRelayTransport;
import dev.starling.p2p.relay.RelayConfig;
import dev.starling.peer.node.NodeOptions;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.protocol.ping.PingService;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling p2p listen}: a libp2p host on TCP (Noise, yamux) that answers ping and identify. Prints its
 * multiaddrs as one JSON line on stdout, then one stderr line per connection, until interrupted.
 */
@Command(name = "listen", mixinStandardHelpOptions = true,
        description = "Listen on TCP, answer ping and identify, print our multiaddrs as a JSON line.")
public final class P2pListenCommand implements java.util.concurrent.Callable<Integer> {
    @Option(names = "--port", description = "TCP port (default: 0, any free port)")
    int port;

    @Option(names = "--host", description = "IP address to bind (default: 0.0.0.0)")
    String bindHost = "0.0.0.0";

    @Option(names = "--key", description = "identity key file (libp2p PrivateKey protobuf); created if missing")
    Path keyFile;

    @Option(names = "--relay-server", description = "also serve circuit relay v2 (hop): reservations for peers"
            + " behind NAT, relayed connections without duration or data limit")
    boolean relayServer;

    @Option(names = "--relay", description = "also listen through this circuit relay (its multiaddr with /p2p/<id>)")
    String relay;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new UserError("--port must be 0..65535, got " + port);
        List<Multiaddr> viaRelay = NodeOptions.relayListenAddresses(relay == null ? List.of() : List.of(relay));
        Host host = CircuitRelayTransport.install(new HostBuilder().identity(P2pSupport.loadOrCreateKey(keyFile))
                .tcpTransport()).build();
        if (relayServer) {
            CircuitRelayServer.install(host, RelayConfig.defaults().withLimit(new CircuitMessages.Limit(0, 0)),
                    new io.netty.util.concurrent.DefaultEventExecutor(), System::currentTimeMillis);
        }
        PingService.install(host);
        IdentifyService identify = IdentifyService.install(host);
        identify.addListener(info -> System.err.println("p2p: " + info.peer() + " is " + info.agentVersion()
                + ", " + info.protocols().size() + " protocols"));
        host.addConnectionListener(new ConnectionListener() {
            @Override
            public void onConnected(Connection c) {
                System.err.println("p2p: connected " + c.remotePeer() + " at " + c.remoteAddress());
            }

            @Override
            public void onDisconnected(Connection c) {
                System.err.println("p2p: disconnected " + c.remotePeer());
            }
        });
        Multiaddr bound;
        try {
            bound = host.listen(P2pSupport.parseAddress("/ip4/" + bindHost + "/tcp/" + port)).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            host.close();
            throw new UserError("cannot listen on " + bindHost + ":" + port + ": " + e.getCause(), e);
        }
        List<String> addrs = new java.util.ArrayList<>(P2pSupport.dialable(bound).stream()
                .map(a -> a.withPeerId(host.peerId()).toString()).toList());
        for (Multiaddr circuit : viaRelay) {
            try {
                addrs.add(host.listen(circuit).get(15, TimeUnit.SECONDS).withPeerId(host.peerId()).toString());
            } catch (ExecutionException | TimeoutException e) {
                host.close();
                throw new UserError("no reservation on relay " + relay + ": " + e.getCause(), e);
            }
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("peer_id", host.peerId().toBase58());
        line.put("addrs", addrs);
        line.put("protocols", host.protocols());
        JsonResult.print(System.out, line);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            host.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
