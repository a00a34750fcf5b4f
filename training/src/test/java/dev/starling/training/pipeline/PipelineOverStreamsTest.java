package dev.starling.training.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.model.Activations;
import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.model.GptStage;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import dev.starling.tensor.cpu.ParallelFor;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PipelineOverStreamsTest {
    private static final int B = 2;
    private static final int T = 8;
    private static final GptConfig CONFIG = new GptConfig(23, 8, 3, 2, 16, 0f, true);
    private static final AdamWConfig ADAMW = new AdamWConfig(0.9f, 0.99f, 1e-8f, 0f, false);

    private final MemoryNetwork network = new MemoryNetwork();
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final ParallelFor pool = new ParallelFor(1);
    private final List<Host> hosts = new ArrayList<>();
    private final List<StageServer> servers = new ArrayList<>();
    private Host client;
    private Gpt whole;

    private Host host(int n) throws Exception {
        Host h = new HostBuilder().identity(Keys.ed25519ForTest(700 + n)).eventLoops(loops).memoryTransport(network)
                .build();
        h.listen(Multiaddr.fromString("/memory/pipe" + n)).get(5, TimeUnit.SECONDS);
        hosts.add(h);
        return h;
    }

    /** One server per entry of behaviours[stage][k]; returns the router that knows them all. */
    private StageRouter<PeerId> start(StageServer.Behaviour[][] behaviours) throws Exception {
        return start(behaviours, 0);
    }

    private StageRouter<PeerId> start(StageServer.Behaviour[][] behaviours, int swapPeriod) throws Exception {
        whole = new Gpt(CONFIG);
        whole.initGpt2(42);
        client = host(0);
        StageRouter<PeerId> router = new StageRouter<>(2, 7);
        int n = 1;
        for (int s = 0; s < behaviours.length; s++) {
            for (StageServer.Behaviour behaviour : behaviours[s]) {
                Host h = host(n);
                GptStage stage = new GptStage(CONFIG, s, behaviours.length);
                stage.loadFrom(whole.parameters());
                StageServer server = new StageServer(h, new StageWorker(stage, ADAMW), pool, B, T, 1, 4, swapPeriod,
                        behaviour);
                server.schedule(3e-3f, 1f);
                servers.add(server);
                client.dial(Multiaddr.fromString("/memory/pipe" + n + "/p2p/" + h.peerId())).get(5, TimeUnit.SECONDS);
                router.add(h.peerId(), s);
                n++;
            }
        }
        return router;
    }

    @AfterEach
    void stop() {
        servers.forEach(StageServer::close);
        hosts.forEach(Host::close);
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        pool.close();
        if (whole != null) {
            whole.close();
        }
    }

    private static int[][] batch(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] xy = new int[2][B * T];
        for (int i = 0; i < B * T; i++) {
            xy[0][i] = r.nextInt(CONFIG.vocabSize());
            xy[1][i] = (xy[0][i] + 1) % CONFIG.vocabSize();
        }
        return xy;
    }

    @Test
    void shouldMatchTheWholeModelsLossAndLearnOverStreams() throws Exception {
        StageServer.Behaviour h = StageServer.Behaviour.HONEST;
        StageRouter<PeerId> router = start(new StageServer.Behaviour[][] {{h}, {h}, {h}});
        PipelineClient pipeline = new PipelineClient(client, router, 3, CONFIG.nEmbd(), TimeUnit.SECONDS.toNanos(30),
                System::nanoTime);
        int[][] xy = batch(1);
        float expected = whole.forward(pool, new Activations(CONFIG, B, T), xy[0], xy[1], T, false, 0);
        MicroBatchResult first = pipeline.run(1, xy[0], xy[1], B, T);
        assertEquals(MicroBatchResult.Status.DONE, first.status());
        assertEquals(expected, first.loss(), 0.02f * expected, "bf16 hops keep the loss within 2%");
        MicroBatchResult later = first;
        for (int mb = 2; mb <= 30; mb++) {
            later = pipeline.run(mb, xy[0], xy[1], B, T);
            assertEquals(MicroBatchResult.Status.DONE, later.status());
        }
        assertTrue(later.loss() < 0.7f * first.loss(), "loss " + first.loss() + " -> " + later.loss());
    }

    @Test
    void shouldRerouteAroundAndExcludePeersThatSendBadActivations() throws Exception {
        StageServer.Behaviour h = StageServer.Behaviour.HONEST;
        StageRouter<PeerId> router = start(new StageServer.Behaviour[][] {
            {h, StageServer.Behaviour.WRONG_STAGE}, {h, StageServer.Behaviour.NAN_OUTPUT}, {h}});
        PipelineClient pipeline = new PipelineClient(client, router, 3, CONFIG.nEmbd(), TimeUnit.SECONDS.toNanos(30),
                System::nanoTime);
        int reroutes = 0;
        for (int mb = 1; mb <= 20; mb++) {
            int[][] xy = batch(mb);
            MicroBatchResult r = pipeline.run(mb, xy[0], xy[1], B, T);
            assertEquals(MicroBatchResult.Status.DONE, r.status(), "micro-batch " + mb);
            assertTrue(Float.isFinite(r.loss()));
            reroutes += r.reroutes();
        }
        assertTrue(router.isExcluded(servers.get(1).host().peerId()), "wrong-stage peer excluded");
        assertTrue(router.isExcluded(servers.get(3).host().peerId()), "NaN peer excluded");
        assertFalse(router.isExcluded(servers.get(0).host().peerId()));
        assertEquals(4, pipeline.badFrames(), "two strikes each, then never routed to again");
        assertEquals(4, reroutes);
    }

    @Test
    void shouldReportTheStageThatLostAllItsPeers() throws Exception {
        StageServer.Behaviour h = StageServer.Behaviour.HONEST;
        StageRouter<PeerId> router = start(new StageServer.Behaviour[][] {{h}, {h, h}, {h}});
        PipelineClient pipeline = new PipelineClient(client, router, 3, CONFIG.nEmbd(), TimeUnit.SECONDS.toNanos(30),
                System::nanoTime);
        int[][] xy = batch(3);
        assertEquals(MicroBatchResult.Status.DONE, pipeline.run(1, xy[0], xy[1], B, T).status());
        servers.get(1).host().close();
        servers.get(2).host().close();
        MicroBatchResult r = pipeline.run(2, xy[0], xy[1], B, T);
        assertEquals(MicroBatchResult.Status.STAGE_LOST, r.status());
        assertEquals(1, r.lostStage());
        assertEquals(0, router.poolSize(1));
    }

    @Test
    void shouldAverageTheWeightsOfAStagePoolOverTheButterfly() throws Exception {
        StageServer.Behaviour h = StageServer.Behaviour.HONEST;
        start(new StageServer.Behaviour[][] {{h, h}, {h}, {h}});
        StageServer a = servers.get(0);
        StageServer b = servers.get(1);
        a.host().dial(Multiaddr.fromString("/memory/pipe2/p2p/" + b.host().peerId())).get(5, TimeUnit.SECONDS);
        float[] pa = a.onCompute(w -> {
            float[] p = w.stage().parameters().data();
            for (int i = 0; i < p.length; i++) {
                p[i] += 0.5f;
            }
            return p.clone();
        }).get(5, TimeUnit.SECONDS);
        float[] pb = b.onCompute(w -> w.stage().parameters().data().clone()).get(5, TimeUnit.SECONDS);
        DefaultEventExecutor owner = new DefaultEventExecutor();
        try (StagePoolAveraging avgA = new StagePoolAveraging(a, owner, System::nanoTime);
             StagePoolAveraging avgB = new StagePoolAveraging(b, owner, System::nanoTime)) {
            List<PeerId> roster = List.of(a.host().peerId(), b.host().peerId());
            var fa = avgA.average(1, roster, TimeUnit.SECONDS.toNanos(20));
            var fb = avgB.average(1, roster, TimeUnit.SECONDS.toNanos(20));
            assertTrue(fa.get(60, TimeUnit.SECONDS));
            assertTrue(fb.get(60, TimeUnit.SECONDS));
        } finally {
            owner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        float[] ra = a.onCompute(w -> w.stage().parameters().data().clone()).get(5, TimeUnit.SECONDS);
        float[] rb = b.onCompute(w -> w.stage().parameters().data().clone()).get(5, TimeUnit.SECONDS);
        for (int i = 0; i < ra.length; i += 7) {
            assertEquals((pa[i] + pb[i]) / 2, ra[i], 1e-6f);
            assertEquals(ra[i], rb[i]);
        }
    }

    @Test
    void shouldRebuildALostStageFromItsNeighboursOverStreamsAndContinue() throws Exception {
        StageServer.Behaviour h = StageServer.Behaviour.HONEST;
        StageRouter<PeerId> router = start(new StageServer.Behaviour[][] {{h}, {h}, {h}});
        PipelineClient pipeline = new PipelineClient(client, router, 3, CONFIG.nEmbd(), TimeUnit.SECONDS.toNanos(30),
                System::nanoTime);
        for (int mb = 1; mb <= 3; mb++) {
            int[][] xy = batch(mb);
            assertEquals(MicroBatchResult.Status.DONE, pipeline.run(mb, xy[0], xy[1], B, T).status());
        }
        servers.get(1).host().close();
        int[][] xy = batch(9);
        assertEquals(MicroBatchResult.Status.STAGE_LOST, pipeline.run(4, xy[0], xy[1], B, T).status());

        Host joiner = host(9);
        PeerId prev = servers.get(0).host().peerId();
        PeerId next = servers.get(2).host().peerId();
        joiner.dial(Multiaddr.fromString("/memory/pipe1/p2p/" + prev)).get(5, TimeUnit.SECONDS);
        joiner.dial(Multiaddr.fromString("/memory/pipe3/p2p/" + next)).get(5, TimeUnit.SECONDS);
        GptStage rebuilt = new GptStage(CONFIG, 1, 3);
        StageRejoin.checkFree(joiner, prev, next, rebuilt).get(30, TimeUnit.SECONDS);
        float[][] expected = new float[2][];
        double[] norms = new double[2];
        for (int k = 0; k < 2; k++) {
            StageServer neighbour = servers.get(k == 0 ? 0 : 2);
            int j = k;
            expected[k] = neighbour.onCompute(w -> {
                norms[j] = w.lastGradNorm();
                int[] r = w.stage().blockRange();
                return java.util.Arrays.copyOfRange(w.stage().parameters().data(), r[0], r[0] + r[1]);
            }).get(5, TimeUnit.SECONDS);
        }
        int[] range = rebuilt.blockRange();
        float[] want = new float[range[1]];
        dev.starling.fault.checkfree.CheckFree.average(expected[0], 0, norms[0], expected[1], 0, norms[1], want, 0,
                want.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], rebuilt.parameters().data()[range[0] + i], 0f, "block weight " + i);
        }
        StageServer replacement = new StageServer(joiner, new StageWorker(rebuilt, ADAMW), pool, B, T, 1, 4,
                StageServer.Behaviour.HONEST);
        servers.add(replacement);
        client.dial(Multiaddr.fromString("/memory/pipe9/p2p/" + joiner.peerId())).get(5, TimeUnit.SECONDS);
        router.add(joiner.peerId(), router.stageToJoin(3));
        MicroBatchResult after = pipeline.run(5, xy[0], xy[1], B, T);
        assertEquals(MicroBatchResult.Status.DONE, after.status());
        assertTrue(Float.isFinite(after.loss()));
    }

    @Test
    void shouldRunCheckFreePlusSwappedMicroBatchesOverStreamsAndRefuseAnOrderOffTheSchedule() throws Exception {
        StageServer.Behaviour h = StageServer.Behaviour.HONEST;
        StageRouter<PeerId> router = start(new StageServer.Behaviour[][] {{h}, {h}, {h}}, 2);
        PipelineClient pipeline = new PipelineClient(client, router, 3, CONFIG.nEmbd(), TimeUnit.SECONDS.toNanos(30),
                System::nanoTime);
        dev.starling.fault.checkfree.OutOfOrderSchedule schedule = new dev.starling.fault.checkfree
                .OutOfOrderSchedule(3, 2);
        int[] swapped = schedule.order(1);
        assertEquals(List.of(1, 0, 2), java.util.Arrays.stream(swapped).boxed().toList());
        int[][] xy = batch(5);
        float expected;
        try (StagedPipeline local = new StagedPipeline(CONFIG, 3, ADAMW, B, T)) {
            for (int k = 0; k < 3; k++) {
                local.worker(k).stage().loadFrom(whole.parameters());
            }
            expected = local.trainMicroBatch(pool, xy[0], xy[1], swapped, 1, null);
        }
        MicroBatchResult r = pipeline.run(1, xy[0], xy[1], B, T, swapped);
        assertEquals(MicroBatchResult.Status.DONE, r.status());
        assertEquals(expected, r.loss(), 0.02f * expected, "the swapped order over streams matches in process");
        MicroBatchResult refused = pipeline.run(2, xy[0], xy[1], B, T, swapped);
        assertEquals(MicroBatchResult.Status.STAGE_LOST, refused.status(), "micro-batch 2 runs in order");
        assertTrue(servers.get(0).rejected() > 0);
    }

    @Test
    void shouldKeepTheTiedEmbeddingEqualOnBothEndsByExchangingItsGradient() throws Exception {
        assertEquals(0f, wteGap(true), "both ends step on the summed gradient");
        assertTrue(wteGap(false) > 0f, "without the exchange the two copies drift apart");
    }

    /** Trains a few micro-batches (no clipping) and returns the largest difference between the two wte copies. */
    private float wteGap(boolean exchange) throws Exception {
        StageServer.Behaviour h = StageServer.Behaviour.HONEST;
        StageRouter<PeerId> router = start(new StageServer.Behaviour[][] {{h}, {h}, {h}});
        StageServer first = servers.get(0);
        StageServer last = servers.get(2);
        first.host().dial(Multiaddr.fromString("/memory/pipe3/p2p/" + last.host().peerId())).get(5, TimeUnit.SECONDS);
        if (exchange) {
            first.tiedPartner(last.host().peerId(), TimeUnit.SECONDS.toNanos(30));
            last.tiedPartner(first.host().peerId(), TimeUnit.SECONDS.toNanos(30));
        }
        for (StageServer s : servers) {
            s.schedule(3e-3f, 0f);
        }
        PipelineClient pipeline = new PipelineClient(client, router, 3, CONFIG.nEmbd(), TimeUnit.SECONDS.toNanos(30),
                System::nanoTime);
        for (int mb = 1; mb <= 4; mb++) {
            int[][] xy = batch(mb);
            assertEquals(MicroBatchResult.Status.DONE, pipeline.run(mb, xy[0], xy[1], B, T).status());
        }
        float[][] wte = new float[2][];
        for (int k = 0; k < 2; k++) {
            wte[k] = (k == 0 ? first : last).onCompute(w -> {
                var v = w.stage().parameters().layout().view("wte");
                return java.util.Arrays.copyOfRange(w.stage().parameters().data(), v.offset(), v.offset() + v.size());
            }).get(30, TimeUnit.SECONDS);
        }
        assertEquals(0, first.tiedMisses() + last.tiedMisses());
        float gap = 0;
        for (int i = 0; i < wte[0].length; i++) {
            gap = Math.max(gap, Math.abs(wte[0][i] - wte[1][i]));
        }
        servers.forEach(StageServer::close);
        servers.clear();
        hosts.forEach(Host::close);
        hosts.clear();
        whole.close();
        whole = null;
        return gap;
    }

    @Test
    void shouldRejectActivationsOfTheWrongShapeNonFiniteOrFromANonAdjacentStage() throws Exception {
        StageServer.Behaviour h = StageServer.Behaviour.HONEST;
        start(new StageServer.Behaviour[][] {{h}, {h}, {h}});
        StageServer middle = servers.get(1);
        int n = B * T * CONFIG.nEmbd();
        float[] x = new float[n];
        PipelineFrame ok = new PipelineFrame(PipelineFrame.Kind.FORWARD, HopPlan.BLOCKS, 1, 0, 1, B, T,
                CONFIG.nEmbd(), Float.NaN, x, new int[0]);
        assertEquals(PipelineFrame.Kind.ACTIVATION, send(middle, ok.encode()).kind());
        PipelineFrame wrongShape = new PipelineFrame(PipelineFrame.Kind.FORWARD, HopPlan.BLOCKS, 2, 0, 1, B, T - 1,
                CONFIG.nEmbd(), Float.NaN, new float[B * (T - 1) * CONFIG.nEmbd()], new int[0]);
        assertEquals(PipelineFrame.Kind.REJECT, send(middle, wrongShape.encode()).kind());
        PipelineFrame skipping = new PipelineFrame(PipelineFrame.Kind.FORWARD, HopPlan.BLOCKS, 3, 2, 1, B, T,
                CONFIG.nEmbd(), Float.NaN, x, new int[0]);
        assertEquals(PipelineFrame.Kind.REJECT, send(middle, skipping.encode()).kind(), "stage 2 does not feed 1");
        byte[] nan = ok.encode();
        nan[PipelineFrame.HEADER_BYTES + 2] = (byte) 0xC0;
        nan[PipelineFrame.HEADER_BYTES + 3] = (byte) 0x7F;
        assertEquals(PipelineFrame.Kind.REJECT, send(middle, nan).kind());
        PipelineFrame unknownBackward = new PipelineFrame(PipelineFrame.Kind.BACKWARD, HopPlan.BLOCKS, 99, 2, 1, B, T,
                CONFIG.nEmbd(), Float.NaN, x, new int[0]);
        assertEquals(PipelineFrame.Kind.REJECT, send(middle, unknownBackward.encode()).kind());
        assertEquals(4, middle.rejected());
    }

    /** One raw request to a stage peer; returns its answer. */
    private PipelineFrame send(StageServer server, byte[] request) throws Exception {
        java.util.concurrent.CompletableFuture<byte[]> answer = new java.util.concurrent.CompletableFuture<>();
        client.newStream(server.host().peerId(), List.of(PipelineFrame.PROTOCOL), stream ->
                new dev.starling.p2p.core.StreamHandler() {
                    private final dev.starling.p2p.codec.LengthPrefixedFrames frames =
                            new dev.starling.p2p.codec.LengthPrefixedFrames(1 << 20);

                    @Override
                    public void onData(dev.starling.p2p.core.Stream st, io.netty.buffer.ByteBuf data) {
                        List<byte[]> messages = frames.offer(data);
                        if (!messages.isEmpty()) {
                            answer.complete(messages.getFirst());
                        }
                    }

                    @Override
                    public void onClosed(dev.starling.p2p.core.Stream st, boolean reset) {
                        frames.release();
                        answer.completeExceptionally(new IllegalStateException("closed without an answer"));
                    }
                }).thenAccept(stream -> {
                    stream.write(dev.starling.p2p.codec.LengthPrefixedFrames.frame(request));
                    stream.closeWrite();
                });
        return PipelineFrame.decode(answer.get(30, TimeUnit.SECONDS));
    }
}
