package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.ping.PingService;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class P2pCommandTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = StarlingCommand.commandLine(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void shouldExitTwoWithOneLineOnABadMultiaddr() {
        assertEquals(2, run("p2p", "ping", "/ip4/300.1.1.1/tcp/1"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("bad multiaddr"), err.toString());
    }

    @Test
    void shouldPingAListeningHostAndExitZero() throws Exception {
        try (Host host = new HostBuilder().identity(Keys.ed25519ForTest(91)).tcpTransport().build()) {
            PingService.install(host);
            Multiaddr a = host.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
            assertEquals(0, run("p2p", "ping", "--count", "2", a.withPeerId(host.peerId()).toString()), err.toString());
        }
    }

    @Test
    void shouldExitTwoWhenThePeerIdDoesNotMatch() throws Exception {
        try (Host host = new HostBuilder().identity(Keys.ed25519ForTest(92)).tcpTransport().build()) {
            Multiaddr a = host.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS);
            String wrong = Keys.ed25519ForTest(93).publicKey().toPeerId().toBase58();
            assertEquals(2, run("p2p", "ping", a + "/p2p/" + wrong));
            assertTrue(err.toString().contains("cannot reach"), err.toString());
        }
    }

    @Test
    void shouldPingThroughACircuitRelay() throws Exception {
        io.netty.util.concurrent.DefaultEventExecutor owner = new io.netty.util.concurrent.DefaultEventExecutor();
        try (Host relay = new HostBuilder().identity(Keys.ed25519ForTest(94)).tcpTransport().build();
             Host target = dev.starling.p2p.relay.CircuitRelayTransport.install(new HostBuilder()
                     .identity(Keys.ed25519ForTest(95)).tcpTransport()).build()) {
            dev.starling.p2p.relay.CircuitRelayServer.install(relay, dev.starling.p2p.relay.RelayConfig.defaults(),
                    owner, System::currentTimeMillis);
            PingService.install(target);
            Multiaddr r = relay.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(5, TimeUnit.SECONDS)
                    .withPeerId(relay.peerId());
            target.listen(Multiaddr.fromString(r + "/p2p-circuit")).get(10, TimeUnit.SECONDS);
            String circuit = r + "/p2p-circuit/p2p/" + target.peerId();
            assertEquals(0, run("p2p", "ping", "--count", "1", circuit), err.toString());
        } finally {
            owner.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }

    @Test
    void shouldExitTwoWithOneLineOnARelayWithoutPeerId() {
        assertEquals(2, run("p2p", "listen", "--relay", "/ip4/127.0.0.1/tcp/1"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("--relay"), err.toString());
    }
}
