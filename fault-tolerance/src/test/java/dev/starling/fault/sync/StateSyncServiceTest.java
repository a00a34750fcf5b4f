package dev.starling.fault.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StateSyncServiceTest {
    private static final long SECOND = 1_000_000_000L;
    private final MemoryNetwork network = new MemoryNetwork();
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final DefaultEventExecutor owner = new DefaultEventExecutor();
    private final List<Host> hosts = new ArrayList<>();
    private final List<StateSyncService> services = new ArrayList<>();

    @AfterEach
    void stop() {
        services.forEach(StateSyncService::close);
        hosts.forEach(Host::close);
        owner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private StateSyncService peer(int i, StateSource source) throws Exception {
        Host h = new HostBuilder().identity(Keys.ed25519ForTest(700 + i)).eventLoops(loops).memoryTransport(network)
                .build();
        h.listen(Multiaddr.fromString("/memory/state" + i)).get(5, TimeUnit.SECONDS);
        hosts.add(h);
        StateSyncService s = new StateSyncService(h, source, owner, System::nanoTime,
                new SyncPlan.Settings(3, 5 * SECOND, SECOND, 10 * SECOND, 4), 30 * SECOND);
        services.add(s);
        return s;
    }

    private List<PeerId> connect(int client, int... servers) throws Exception {
        List<PeerId> out = new ArrayList<>();
        for (int s : servers) {
            hosts.get(client).dial(Multiaddr.fromString("/memory/state" + s + "/p2p/" + hosts.get(s).peerId()))
                    .get(5, TimeUnit.SECONDS);
            out.add(hosts.get(s).peerId());
        }
        return out;
    }

    /** Serves the honest manifest but flips a bit in every chunk. */
    private record CorruptChunks(StateSource honest) implements StateSource {
        @Override
        public byte[] manifest(long round) {
            return honest.manifest(round);
        }

        @Override
        public byte[] chunk(long round, int index) {
            byte[] c = honest.chunk(round, index);
            c[c.length / 2] ^= 4;
            return c;
        }
    }

    /** Serves a manifest that claims other sizes (a bigger chunk size), with the right θ hash. */
    private record LyingSizes(StateImage image) implements StateSource {
        @Override
        public byte[] manifest(long round) {
            return StateManifest.describe(image, image.concatenated(), 8192).encode();
        }

        @Override
        public byte[] chunk(long round, int index) {
            return new byte[8192];
        }
    }

    @Test
    void shouldDownloadFromHonestSourcesAndExcludeLiars() throws Exception {
        StateImage image = SyncPlanTest.image(20_000, 11);
        HeldStates held = new HeldStates(4096);
        held.publish(image);
        peer(0, held);
        peer(1, held);
        peer(2, new CorruptChunks(held));
        peer(3, new LyingSizes(image));
        StateSyncService joiner = peer(4, new HeldStates(4096));
        List<PeerId> sources = connect(4, 0, 1, 2, 3);
        StateSyncService.Download d = joiner.download(image.round(), image.thetaHash(), sources)
                .get(30, TimeUnit.SECONDS);
        assertArrayEquals(image.concatenated(), d.image().concatenated());
        assertEquals(image.innerSteps(), d.image().innerSteps());
        assertArrayEquals(image.section("outer.momentum").floats(), d.image().section("outer.momentum").floats());
        assertTrue(d.excluded().containsKey(sources.get(2).toBase58()), d.excluded().toString());
        assertTrue(d.excluded().get(sources.get(3).toBase58()).contains("majority"), d.excluded().toString());
        assertTrue(!d.excluded().containsKey(sources.get(0).toBase58()), d.excluded().toString());
    }

    @Test
    void shouldRefuseAStateWhoseHashIsNotThePublishedOne() throws Exception {
        StateImage image = SyncPlanTest.image(2_000, 12);
        HeldStates held = new HeldStates(4096);
        held.publish(image);
        peer(0, held);
        StateSyncService joiner = peer(1, new HeldStates(4096));
        List<PeerId> sources = connect(1, 0);
        ExecutionException e = assertThrows(ExecutionException.class, () -> joiner.download(image.round(),
                "00".repeat(32), sources).get(30, TimeUnit.SECONDS));
        SyncException cause = assertInstanceOf(SyncException.class, e.getCause());
        assertEquals(SyncException.Category.UNAVAILABLE, cause.category());
        assertThrows(ExecutionException.class, () -> joiner.download(image.round() + 1, image.thetaHash(), sources)
                .get(30, TimeUnit.SECONDS));
    }

    @Test
    void shouldKeepServingThePreviousRoundAfterANewOneIsPublished() throws Exception {
        StateImage first = SyncPlanTest.image(2_000, 13);
        HeldStates held = new HeldStates(4096);
        held.publish(first);
        held.publish(new StateImage(8, 80, SyncPlanTest.image(2_000, 14).sections()));
        held.publish(new StateImage(9, 90, SyncPlanTest.image(2_000, 15).sections()));
        assertEquals(9, held.newest().round());
        assertEquals(null, held.manifest(7));
        peer(0, held);
        StateSyncService joiner = peer(1, new HeldStates(4096));
        StateSyncService.Download d = joiner.download(8, held.newest() == null ? "" : StateManifest.decode(
                held.manifest(8)).thetaHashHex(), connect(1, 0)).get(30, TimeUnit.SECONDS);
        assertEquals(80, d.image().innerSteps());
    }
}
