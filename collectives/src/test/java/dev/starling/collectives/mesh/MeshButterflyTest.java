package dev.starling.collectives.mesh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.butterfly.ButterflyConfig;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.ErrorFeedback;
import dev.starling.collectives.codec.Fp32Codec;
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
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MeshButterflyTest {
    private static final int N = 4;
    private static final int LENGTH = 10_007;
    private final MemoryNetwork network = new MemoryNetwork();
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final DefaultEventExecutor owner = new DefaultEventExecutor();
    private final List<Host> hosts = new ArrayList<>();
    private final List<MeshButterfly> meshes = new ArrayList<>();
    private List<PeerId> roster;

    @BeforeEach
    void start() throws Exception {
        for (int i = 0; i < N; i++) {
            Host h = new HostBuilder().identity(Keys.ed25519ForTest(300 + i)).eventLoops(loops)
                    .memoryTransport(network).build();
            h.listen(Multiaddr.fromString("/memory/butterfly" + i)).get(5, TimeUnit.SECONDS);
            hosts.add(h);
            meshes.add(new MeshButterfly(h, owner, System::nanoTime, 1 << 20));
        }
        for (int i = 0; i < N; i++) {
            for (int j = i + 1; j < N; j++) {
                hosts.get(i).dial(Multiaddr.fromString("/memory/butterfly" + j + "/p2p/" + hosts.get(j).peerId()))
                        .get(5, TimeUnit.SECONDS);
            }
        }
        roster = hosts.stream().map(Host::peerId).toList();
    }

    @AfterEach
    void stop() {
        meshes.forEach(MeshButterfly::close);
        hosts.forEach(Host::close);
        owner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    private ButterflyMember member(int self, long round, long deadlineNanos, boolean int8) {
        List<String> names = roster.stream().map(PeerId::toBase58).toList();
        return new ButterflyMember(new ButterflyConfig(names, self, LENGTH, PartSplit.even(),
                int8 ? BlockQuantCodec.int8(64) : Fp32Codec.INSTANCE, Fp32Codec.INSTANCE, new Mean(), null, null,
                42L, round, deadlineNanos, deadlineNanos + TimeUnit.SECONDS.toNanos(5)), new ErrorFeedback(LENGTH));
    }

    private static float[][] updates(int seed) {
        Random random = new Random(seed);
        float[][] u = new float[N][LENGTH];
        for (float[] row : u) {
            for (int i = 0; i < LENGTH; i++) {
                row[i] = (float) random.nextGaussian() * 1e-3f;
            }
        }
        return u;
    }

    @Test
    void shouldGiveEveryMemberTheSameMeanOverStreams() throws Exception {
        float[][] u = updates(1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<CompletableFuture<ButterflyResult>> done = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            done.add(meshes.get(i).run(7, roster, member(i, 7, deadline, false), u[i]));
        }
        float[] first = done.getFirst().get(60, TimeUnit.SECONDS).aggregate();
        for (int i = 1; i < N; i++) {
            assertArrayEquals(first, done.get(i).get(60, TimeUnit.SECONDS).aggregate(), "member " + i);
        }
        for (int c = 0; c < LENGTH; c += 997) {
            float mean = (u[0][c] + u[1][c] + u[2][c] + u[3][c]) / 4f;
            assertEquals(mean, first[c], 1e-9f, "element " + c);
        }
        assertTrue(meshes.getFirst().bytesSent() > 0);
    }

    @Test
    void shouldFinishWithoutAMemberThatNeverStarts() throws Exception {
        float[][] u = updates(2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
        List<CompletableFuture<ButterflyResult>> done = new ArrayList<>();
        for (int i = 0; i < N - 1; i++) {
            done.add(meshes.get(i).run(8, roster, member(i, 8, deadline, true), u[i]));
        }
        ButterflyResult r0 = done.getFirst().get(60, TimeUnit.SECONDS);
        // Member 3 sent nothing by the takeover time (between the deadlines): member 0 reduced its part instead.
        assertEquals(List.of(), r0.missingParts());
        for (int i = 1; i < N - 1; i++) {
            assertArrayEquals(r0.aggregate(), done.get(i).get(60, TimeUnit.SECONDS).aggregate(), "member " + i);
        }
    }

    @Test
    void shouldDeliverToAPeerThatIsStillBeingDialedWhenTheRoundStarts() throws Exception {
        Host a = new HostBuilder().identity(Keys.ed25519ForTest(310)).eventLoops(loops).memoryTransport(network).build();
        Host b = new HostBuilder().identity(Keys.ed25519ForTest(311)).eventLoops(loops).memoryTransport(network).build();
        hosts.add(a);
        hosts.add(b);
        b.listen(Multiaddr.fromString("/memory/butterfly-late")).get(5, TimeUnit.SECONDS);
        MeshButterfly ma = new MeshButterfly(a, owner, System::nanoTime, 1 << 20);
        MeshButterfly mb = new MeshButterfly(b, owner, System::nanoTime, 1 << 20);
        meshes.add(ma);
        meshes.add(mb);
        List<PeerId> pair = List.of(a.peerId(), b.peerId());
        List<String> names = pair.stream().map(PeerId::toBase58).toList();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        float[][] u = updates(3);
        CompletableFuture<ButterflyResult> ra = ma.run(9, pair, new ButterflyMember(new ButterflyConfig(names, 0,
                LENGTH, PartSplit.even(), Fp32Codec.INSTANCE, Fp32Codec.INSTANCE, new Mean(), null, null, 42L, 9,
                deadline, deadline), null), u[0]);
        CompletableFuture<ButterflyResult> rb = mb.run(9, pair, new ButterflyMember(new ButterflyConfig(names, 1,
                LENGTH, PartSplit.even(), Fp32Codec.INSTANCE, Fp32Codec.INSTANCE, new Mean(), null, null, 42L, 9,
                deadline, deadline), null), u[1]);
        owner.submit(() -> { }).get(5, TimeUnit.SECONDS); // both rounds began: their first stream opens failed
        a.dial(Multiaddr.fromString("/memory/butterfly-late/p2p/" + b.peerId())).get(5, TimeUnit.SECONDS);
        ButterflyResult result = ra.get(60, TimeUnit.SECONDS);
        assertEquals(List.of(), result.missingParts());
        assertArrayEquals(result.aggregate(), rb.get(60, TimeUnit.SECONDS).aggregate());
        assertEquals((u[0][5] + u[1][5]) / 2f, result.aggregate()[5], 1e-9f);
    }

    @Test
    void shouldHandAKilledMembersPartToASubstituteAndFinishWithoutWaitingForTheDeadline() throws Exception {
        float[][] u = updates(4);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600); // far: finishing early proves the takeover
        List<CompletableFuture<ButterflyResult>> done = new ArrayList<>();
        List<ButterflyMember> members = new ArrayList<>();
        for (int i = 0; i < N - 1; i++) {
            members.add(member(i, 10, deadline, false));
            done.add(meshes.get(i).run(10, roster, members.get(i), u[i]));
        }
        owner.submit(() -> { }).get(5, TimeUnit.SECONDS); // the three rounds began and sent to member 3
        hosts.get(N - 1).close(); // member 3 dies: its connections close, its part was never reduced
        ButterflyResult r0 = done.getFirst().get(60, TimeUnit.SECONDS);
        assertEquals(List.of(), r0.missingParts());
        for (int i = 1; i < N - 1; i++) {
            assertArrayEquals(r0.aggregate(), done.get(i).get(60, TimeUnit.SECONDS).aggregate(), "member " + i);
        }
        for (int i = 0; i < N - 1; i++) {
            assertEquals(0, members.get(i).partSource(N - 1), "member " + i + " took part 3 from member 0");
        }
        for (int c = 0; c < LENGTH; c += 101) {
            float mean = (u[0][c] + u[1][c] + u[2][c]) / 3f;
            assertEquals(mean, r0.aggregate()[c], 1e-9f, "element " + c);
        }
    }
}
