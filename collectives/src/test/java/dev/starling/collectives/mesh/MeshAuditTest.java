package dev.starling.collectives.mesh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.aggregate.CenteredClip;
import dev.starling.collectives.attack.LyingReducer;
import dev.starling.collectives.butterfly.ButterflyConfig;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.ErrorFeedback;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.verify.AuditCodec;
import dev.starling.collectives.verify.AuditMessage;
import dev.starling.collectives.verify.CenteredClipVerifier;
import dev.starling.collectives.verify.ReducerAudit;
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

/** Butterfly then audit, both over memory-transport streams between four hosts. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MeshAuditTest {
    private static final int N = 4;
    private static final int LENGTH = 4 * 300;
    private static final double TAU = 0.05;
    private static final CenteredClip RULE = new CenteredClip(TAU, 5000, 1e-9);
    private final MemoryNetwork network = new MemoryNetwork();
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final DefaultEventExecutor owner = new DefaultEventExecutor();
    private final List<Host> hosts = new ArrayList<>();
    private final List<MeshButterfly> butterflies = new ArrayList<>();
    private final List<MeshAudit> audits = new ArrayList<>();
    private final AuditCodec codec = new AuditCodec(N, 2, new int[] {300, 300, 300, 300});
    private List<PeerId> roster;

    @BeforeEach
    void start() throws Exception {
        for (int i = 0; i < N; i++) {
            Host h = new HostBuilder().identity(Keys.ed25519ForTest(400 + i)).eventLoops(loops)
                    .memoryTransport(network).build();
            h.listen(Multiaddr.fromString("/memory/audit" + i)).get(5, TimeUnit.SECONDS);
            hosts.add(h);
            butterflies.add(new MeshButterfly(h, owner, System::nanoTime, 1 << 20));
            audits.add(new MeshAudit(h, owner, codec.maxFrameBytes()));
        }
        for (int i = 0; i < N; i++) {
            for (int j = i + 1; j < N; j++) {
                hosts.get(i).dial(Multiaddr.fromString("/memory/audit" + j + "/p2p/" + hosts.get(j).peerId()))
                        .get(5, TimeUnit.SECONDS);
            }
        }
        roster = hosts.stream().map(Host::peerId).toList();
    }

    @AfterEach
    void stop() {
        audits.forEach(MeshAudit::close);
        butterflies.forEach(MeshButterfly::close);
        hosts.forEach(Host::close);
        owner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    @Test
    void shouldBanTheLyingReducerOnEveryHonestMemberAndAgreeOnTheRepairedAggregate() throws Exception {
        List<ReducerAudit.Outcome> outcomes = round(5, 2);
        for (int i = 0; i < N; i++) {
            if (i == 2) {
                continue;
            }
            ReducerAudit.Outcome o = outcomes.get(i);
            assertEquals(List.of(2), List.copyOf(o.banned().keySet()), "member " + i + ": " + o.banned());
            assertEquals(List.of(2), o.reReduced());
            assertArrayEquals(outcomes.getFirst().aggregate(), o.aggregate(), "member " + i);
        }
    }

    @Test
    void shouldBanNobodyInAnHonestRound() throws Exception {
        List<ReducerAudit.Outcome> outcomes = round(6, -1);
        for (ReducerAudit.Outcome o : outcomes) {
            assertTrue(o.banned().isEmpty(), o.banned().toString());
            assertTrue(o.reReduced().isEmpty());
        }
        assertTrue(audits.getFirst().bytesSent() > 0);
    }

    private List<ReducerAudit.Outcome> round(long round, int liar) throws Exception {
        Random random = new Random(round);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<String> names = roster.stream().map(PeerId::toBase58).toList();
        List<ButterflyMember> members = new ArrayList<>();
        List<CompletableFuture<ButterflyResult>> done = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            Aggregator rule = i == liar ? new LyingReducer(RULE, 0.002f) : RULE;
            ButterflyMember m = new ButterflyMember(new ButterflyConfig(names, i, LENGTH, PartSplit.even(),
                    BlockQuantCodec.int8(32), Fp32Codec.INSTANCE, rule, null, null, 42L, round, deadline,
                    deadline + TimeUnit.SECONDS.toNanos(5)), new ErrorFeedback(LENGTH));
            float[] delta = new float[LENGTH];
            for (int c = 0; c < LENGTH; c++) {
                delta[c] = (float) (i < 3 ? 0.01 + 0.005 * random.nextGaussian() : -0.1);
            }
            members.add(m);
            done.add(butterflies.get(i).run(round, roster, m, delta));
        }
        List<CompletableFuture<ReducerAudit.Outcome>> verdicts = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            ButterflyResult result = done.get(i).get(60, TimeUnit.SECONDS);
            ButterflyMember m = members.get(i);
            ReducerAudit audit = new ReducerAudit(N, i, PartSplit.even(), LENGTH, 42L, round,
                    new CenteredClipVerifier(TAU, 2, 1e-3), RULE, 1e-6);
            float[][] sent = new float[N][];
            float[][] reducedFrom = new float[N][];
            for (int p = 0; p < N; p++) {
                sent[p] = m.sentPart(p);
                reducedFrom[p] = m.reducedContribution(p);
            }
            AuditMessage.Commitment c = audit.commit(sent);
            verdicts.add(audits.get(i).run(round, roster, audit, c, result.aggregate(), reducedFrom, codec, 20_000));
        }
        List<ReducerAudit.Outcome> out = new ArrayList<>();
        for (CompletableFuture<ReducerAudit.Outcome> v : verdicts) {
            out.add(v.get(60, TimeUnit.SECONDS));
        }
        return out;
    }
}
