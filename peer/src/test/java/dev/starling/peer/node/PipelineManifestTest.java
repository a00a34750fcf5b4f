package dev.starling.peer.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.fault.checkfree.OutOfOrderSchedule;
import dev.starling.fault.checkfree.RecoveryPlan;
import dev.starling.fault.checkfree.Strategy;
import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.model.GptStage;
import dev.starling.model.data.TokenDataset;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import dev.starling.protocol.manifest.ManifestParser;
import dev.starling.protocol.manifest.RunManifest;
import dev.starling.tensor.cpu.ParallelFor;
import dev.starling.training.TrainConfig;
import dev.starling.training.pipeline.MicroBatchResult;
import dev.starling.training.pipeline.PipelineClient;
import dev.starling.training.pipeline.StagePoolAveraging;
import dev.starling.training.pipeline.StageRejoin;
import dev.starling.training.pipeline.StageRouter;
import dev.starling.training.pipeline.StageServer;
import dev.starling.training.pipeline.StageWorker;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A run whose manifest cuts the model into 4 stages: eight peers in one JVM (in-memory transport) join the stage the
 * router finds short, two per stage; micro-batches go hop by hop with CheckFree+'s swapped order; each pool averages
 * its weights over the butterfly; then both peers of the first stage vanish, the router asks for a peer to move
 * there, and a fresh peer rebuilds the first stage by CheckFree+ from the copy stage 1 keeps: no run is lost.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PipelineManifestTest {
    private static final String MANIFEST = """
            [model]
            layers = 4
            heads = 2
            channels = 16
            block_size = 8
            stages = 4
            [data]
            batch_size = 2
            """;

    private final MemoryNetwork network = new MemoryNetwork();
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final ParallelFor pool = new ParallelFor(1);
    private final List<Host> hosts = new ArrayList<>();
    private final List<StageServer> servers = new ArrayList<>();
    private final Map<PeerId, Multiaddr> addresses = new HashMap<>();

    private Host host() throws Exception {
        int n = hosts.size();
        Host h = new HostBuilder().identity(Keys.ed25519ForTest(900 + n)).eventLoops(loops).memoryTransport(network)
                .build();
        h.listen(Multiaddr.fromString("/memory/stage-peer" + n)).get(5, TimeUnit.SECONDS);
        hosts.add(h);
        addresses.put(h.peerId(), Multiaddr.fromString("/memory/stage-peer" + n + "/p2p/" + h.peerId()));
        return h;
    }

    private void dial(Host from, PeerId to) throws Exception {
        from.dial(addresses.get(to)).get(5, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() {
        servers.forEach(StageServer::close);
        hosts.forEach(Host::close);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        pool.close();
    }

    @Test
    void shouldRefuseAStagedManifestInTheDaemonWithOneLine() {
        dev.starling.peer.cli.UserError e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.starling.peer.cli.UserError.class,
                () -> PipelineManifest.requireWholeModel(ManifestParser.parse(MANIFEST)));
        assertTrue(e.getMessage().contains("4 pipeline stages"), e.getMessage());
        PipelineManifest.requireWholeModel(ManifestParser.parse("[model]\nlayers = 4\n"));
    }

    @Test
    void shouldTrainAPipelineFromTheManifestAndRebuildAWholeLostStageByCheckFreePlus() throws Exception {
        RunManifest manifest = ManifestParser.parse(MANIFEST);
        TokenDataset data = ManifestTraining.dataset(manifest, null);
        TrainConfig train = ManifestTraining.config(manifest, data, 100, 1);
        GptConfig model = train.model();
        int stages = manifest.model().stages();
        int batch = train.batchSize();
        int seq = train.seqLen();
        OutOfOrderSchedule order = new OutOfOrderSchedule(stages, 2);
        Host trainer = host();
        StageRouter<PeerId> router = new StageRouter<>(2, 5);
        PipelineClient client = new PipelineClient(trainer, router, stages, model.nEmbd(),
                TimeUnit.SECONDS.toNanos(30), System::nanoTime);
        List<List<StageServer>> pools = new ArrayList<>();
        for (int s = 0; s < stages; s++) {
            pools.add(new ArrayList<>());
        }
        try (Gpt whole = new Gpt(model)) {
            whole.initGpt2(manifest.seed());
            for (int i = 0; i < 8; i++) {
                Host h = host();
                int s = router.stageToJoin(stages);
                GptStage stage = new GptStage(model, s, stages);
                stage.loadFrom(whole.parameters());
                StageServer server = new StageServer(h, new StageWorker(stage, train.adamw()), pool, batch, seq, 1, 8,
                        2, StageServer.Behaviour.HONEST);
                server.schedule(3e-3f, train.gradClip());
                servers.add(server);
                pools.get(s).add(server);
                dial(trainer, h.peerId());
                router.add(h.peerId(), s);
            }
        }
        for (int s = 0; s < stages; s++) {
            assertEquals(2, pools.get(s).size(), "the joiners spread evenly over the stages");
        }
        PeerId firstStagePeer = pools.get(0).getFirst().host().peerId();
        for (StageServer keeper : pools.get(1)) {
            dial(keeper.host(), firstStagePeer);
            keeper.keepCopyOf(firstStagePeer, 0, false);
        }
        long mb = 0;
        float before = Float.NaN;
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 6; i++) {
                before = train(client, data, mb, batch, seq, order.order(mb));
                mb++;
            }
            averagePools(pools, round);
        }
        List<CompletableFuture<Void>> copies = new ArrayList<>();
        pools.get(1).forEach(k -> copies.add(k.refreshCopy()));
        CompletableFuture.allOf(copies.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        for (StageServer lost : pools.get(0)) {
            lost.host().close();
            lost.close();
            servers.remove(lost);
        }
        MicroBatchResult r = client.run(mb, new int[batch * seq], new int[batch * seq], batch, seq, order.order(mb));
        assertEquals(MicroBatchResult.Status.STAGE_LOST, r.status());
        assertEquals(0, r.lostStage());
        assertEquals(0, router.reassignment(stages).orElseThrow().getValue(), "a peer should move to stage 0");
        assertEquals(0, router.stageToJoin(stages), "a joiner is sent to stage 0");

        Host joiner = host();
        StageServer keeper = pools.get(1).getFirst();
        dial(joiner, keeper.host().peerId());
        GptStage rebuilt = new GptStage(model, 0, stages);
        RecoveryPlan plan = RecoveryPlan.of(Strategy.CHECKFREE_PLUS, 0, stages);
        StageRejoin.rebuild(joiner, plan, new PeerId[] {keeper.host().peerId()}, keeper.host().peerId(), null, rebuilt,
                0).get(30, TimeUnit.SECONDS);
        StageServer replacement = new StageServer(joiner, new StageWorker(rebuilt, train.adamw()), pool, batch, seq, 1,
                8, 2, StageServer.Behaviour.HONEST);
        replacement.schedule(3e-3f, train.gradClip());
        servers.add(replacement);
        dial(trainer, joiner.peerId());
        router.add(joiner.peerId(), router.stageToJoin(stages));
        float after = Float.NaN;
        for (int i = 0; i < 6; i++) {
            after = train(client, data, mb, batch, seq, order.order(mb));
            mb++;
        }
        assertTrue(after < Math.log(model.vocabSize()), "loss after the rebuild " + after + " (before " + before
                + ", uniform " + Math.log(model.vocabSize()) + ")");
    }

    private static float train(PipelineClient client, TokenDataset data, long mb, int batch, int seq, int[] order) {
        int[] x = new int[batch * seq];
        int[] y = new int[batch * seq];
        SplittableRandom r = new SplittableRandom(mb);
        for (int b = 0; b < batch; b++) {
            int at = r.nextInt(data.train().length - seq - 1);
            System.arraycopy(data.train(), at, x, b * seq, seq);
            System.arraycopy(data.train(), at + 1, y, b * seq, seq);
        }
        MicroBatchResult result = client.run(mb, x, y, batch, seq, order);
        assertEquals(MicroBatchResult.Status.DONE, result.status(), "micro-batch " + mb);
        assertTrue(Float.isFinite(result.loss()));
        return result.loss();
    }

    /** Each stage's two peers average their weights over the butterfly. */
    private void averagePools(List<List<StageServer>> pools, int round) throws Exception {
        DefaultEventExecutor owner = new DefaultEventExecutor();
        List<StagePoolAveraging> averagings = new ArrayList<>();
        try {
            List<CompletableFuture<Boolean>> done = new ArrayList<>();
            for (List<StageServer> stagePool : pools) {
                StageServer a = stagePool.get(0);
                StageServer b = stagePool.get(1);
                dial(a.host(), b.host().peerId());
                List<PeerId> roster = List.of(a.host().peerId(), b.host().peerId());
                for (StageServer member : stagePool) {
                    StagePoolAveraging avg = new StagePoolAveraging(member, owner, System::nanoTime);
                    averagings.add(avg);
                    done.add(avg.average(round, roster, TimeUnit.SECONDS.toNanos(20)));
                }
            }
            for (CompletableFuture<Boolean> d : done) {
                assertTrue(d.get(60, TimeUnit.SECONDS), "pool averaging round " + round);
            }
        } finally {
            averagings.forEach(StagePoolAveraging::close);
            owner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
