package dev.starling.peer.cli;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.butterfly.ButterflyConfig;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.PartSplit;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.codec.UpdateChunks;
import dev.starling.collectives.mesh.MeshButterfly;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.emulation.LinkEmulation;
import dev.starling.p2p.emulation.LinkProfile;
import dev.starling.p2p.host.HostBuilder;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench allreduce}: N peers in this JVM, each a real libp2p host on loopback TCP (Noise, yamux),
 * run the mesh butterfly all-reduce ({@link MeshButterfly}, fp32, mean) on vectors of the given sizes, first on
 * plain loopback and then on emulated links ({@link LinkEmulation}: by default each host gets an uplink of the link
 * rate shared by its connections, and every connection the one-way delay). Reports, per size, the seconds a round
 * took and the goodput: payload bytes each peer sent over the round's wall time, as a share of the link rate.
 * Every peer's result is checked against the exact mean. Runs on the calling thread; each peer has its own event
 * loop and butterfly owner thread.
 */
@Command(name = "allreduce", mixinStandardHelpOptions = true,
        description = "Butterfly all-reduce between N in-JVM libp2p peers on loopback and emulated links; "
                + "goodput as a share of the link rate, as JSON.")
public final class BenchAllreduceCommand implements Callable<Integer> {
    @Option(names = "--peers", defaultValue = "4", description = "peers, 2..16 (default 4)")
    int peers;

    @Option(names = "--sizes-mb", split = ",", defaultValue = "1,10,100",
            description = "vector sizes in MB (10^6 bytes of fp32), comma-separated (default 1,10,100)")
    double[] sizesMb;

    @Option(names = "--link", split = ";", defaultValue = "none;100mbit,50ms",
            description = "link settings separated by ';': 'none' (plain loopback) or RATE,DELAY[,LOSS]"
                    + " such as 100mbit,50ms (default none;100mbit,50ms)")
    List<String> links;

    @Option(names = "--topology", defaultValue = "uplink",
            description = "uplink: each host's sends share one uplink of the rate (an access link); pair: each"
                    + " connection direction has its own link of the rate (default uplink)")
    String topology;

    @Option(names = "--rounds", defaultValue = "1", description = "timed rounds per size (default 1)")
    int rounds;

    @Option(names = "--chunk-elements", defaultValue = "262144",
            description = "elements per butterfly chunk (default 262144 = 1 MiB of fp32)")
    int chunkElements;

    @Override
    public Integer call() throws Exception {
        if (peers < 2 || peers > 16) throw new UserError("--peers must be in 2..16, got " + peers);
        if (rounds < 1) throw new UserError("--rounds must be at least 1");
        if (!topology.equals("uplink") && !topology.equals("pair")) {
            throw new UserError("--topology must be uplink or pair, got " + topology);
        }
        if (chunkElements < 1 || chunkElements > UpdateChunks.DEFAULT_MAX_ELEMENTS) {
            throw new UserError("--chunk-elements must be in 1.." + UpdateChunks.DEFAULT_MAX_ELEMENTS);
        }
        for (double mb : sizesMb) {
            if (!(mb > 0 && mb <= 400)) throw new UserError("--sizes-mb values must be in (0, 400], got " + mb);
        }
        List<Map<String, Object>> runs = new ArrayList<>();
        double worst = Double.NaN;
        for (String link : links) {
            LinkProfile profile = null;
            if (!link.equals("none")) {
                try {
                    profile = LinkProfile.parse(link);
                } catch (IllegalArgumentException e) {
                    throw new UserError("--link: " + e.getMessage(), e);
                }
                if (profile.rateBitsPerSecond() == 0) throw new UserError("--link needs a rate to measure against");
            }
            for (Map<String, Object> run : runLink(link, profile)) {
                runs.add(run);
                Object share = run.get("share");
                double mb = (double) run.get("mb");
                if (share != null && mb >= 10 && mb <= 100) {
                    worst = Double.isNaN(worst) ? (double) share : Math.min(worst, (double) share);
                }
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("peers", peers);
        result.put("topology", topology);
        result.put("codec", "fp32");
        result.put("runs", runs);
        result.put("min_share_10_100mb", Double.isNaN(worst) ? null : round(worst));
        JsonResult.print(System.out, result);
        return 0;
    }

    private List<Map<String, Object>> runLink(String link, LinkProfile profile) throws Exception {
        LinkEmulation emulation = null;
        if (profile != null) {
            emulation = topology.equals("uplink")
                    ? LinkEmulation.uniform(new LinkProfile(0, profile.delayNanos(), profile.lossProbability()))
                        .withUplink(profile.rateBitsPerSecond())
                    : LinkEmulation.uniform(profile);
        }
        List<Host> hosts = new ArrayList<>();
        List<DefaultEventExecutor> owners = new ArrayList<>();
        List<MeshButterfly> butterflies = new ArrayList<>();
        List<Map<String, Object>> out = new ArrayList<>();
        try {
            List<Multiaddr> addrs = new ArrayList<>();
            for (int i = 0; i < peers; i++) {
                HostBuilder b = new HostBuilder().identity(Keys.ed25519ForTest(200 + i)).tcpTransport();
                if (emulation != null) b.linkEmulation(emulation);
                Host h = b.build();
                hosts.add(h);
                addrs.add(h.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(10, TimeUnit.SECONDS));
                DefaultEventExecutor owner = new DefaultEventExecutor();
                owners.add(owner);
                butterflies.add(new MeshButterfly(h, owner, System::nanoTime,
                        chunkElements * 4 + UpdateChunks.DEFAULT_MAX_ELEMENTS));
            }
            List<CompletableFuture<?>> dials = new ArrayList<>();
            for (int i = 0; i < peers; i++) {
                for (int j = i + 1; j < peers; j++) {
                    dials.add(hosts.get(i).dial(addrs.get(j).withPeerId(hosts.get(j).peerId())));
                }
            }
            CompletableFuture.allOf(dials.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
            long round = 1;
            System.err.printf(Locale.ROOT, "bench allreduce: %d peers, link %s (%s), warm-up round%n", peers,
                    link, topology);
            runRound(hosts, butterflies, Math.min(sizesMb[0], 1), round++);
            for (double mb : sizesMb) {
                for (int r = 0; r < rounds; r++) {
                    double[] timing = runRound(hosts, butterflies, mb, round++);
                    Map<String, Object> run = new LinkedHashMap<>();
                    run.put("link", link);
                    run.put("mb", mb);
                    run.put("seconds", round(timing[0]));
                    double mbitPerPeer = timing[1] * 8 / timing[0] / 1e6;
                    run.put("sent_mbit_s_per_peer", round(mbitPerPeer));
                    Double share = null;
                    if (profile != null) {
                        double perLink = topology.equals("uplink") ? mbitPerPeer : mbitPerPeer / (peers - 1);
                        share = round(perLink * 1e6 / profile.rateBitsPerSecond());
                    }
                    run.put("share", share);
                    System.err.printf(Locale.ROOT, "  %s %.0f MB: %.3f s, %.1f Mbit/s sent per peer%s%n", link, mb,
                            timing[0], mbitPerPeer, share == null ? "" : ", " + share + " of the link rate");
                    out.add(run);
                }
            }
        } finally {
            butterflies.forEach(MeshButterfly::close);
            hosts.forEach(Host::close);
            owners.forEach(o -> o.shutdownGracefully(0, 1, TimeUnit.SECONDS));
        }
        return out;
    }

    /** One round on every peer; returns {seconds, smallest payload bytes any peer sent}. */
    private double[] runRound(List<Host> hosts, List<MeshButterfly> butterflies, double mb, long round)
            throws Exception {
        int length = (int) Math.round(mb * 1e6 / 4);
        List<PeerId> roster = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (Host h : hosts) {
            roster.add(h.peerId());
            labels.add(h.peerId().toBase58());
        }
        float[][] inputs = new float[peers][length];
        double[] expected = new double[length];
        for (int i = 0; i < peers; i++) {
            SplittableRandom random = new SplittableRandom(round * 1000 + i);
            for (int k = 0; k < length; k++) {
                inputs[i][k] = (float) random.nextGaussian();
                expected[k] += inputs[i][k] / (double) peers;
            }
        }
        long[] sent0 = new long[peers];
        for (int i = 0; i < peers; i++) sent0[i] = butterflies.get(i).bytesSent();
        long far = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        List<CompletableFuture<ButterflyResult>> futures = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < peers; i++) {
            ButterflyConfig config = new ButterflyConfig(labels, i, length, PartSplit.even(), Fp32Codec.INSTANCE,
                    Fp32Codec.INSTANCE, new Mean(), null, null, 1L, round, far, far, chunkElements);
            futures.add(butterflies.get(i).run(round, roster, new ButterflyMember(config, null), inputs[i]));
        }
        CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(20, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        float[] first = futures.getFirst().get().aggregate();
        for (int i = 0; i < peers; i++) {
            ButterflyResult r = futures.get(i).get();
            if (!r.missingParts().isEmpty() || !r.faults().isEmpty() || !Arrays.equals(first, r.aggregate())) {
                throw new IllegalStateException("peer " + i + " ended round " + round + " with missing parts "
                        + r.missingParts() + ", faults " + r.faults() + " or different bytes");
            }
        }
        for (int k = 0; k < length; k++) {
            if (Math.abs(first[k] - expected[k]) > 1e-5) {
                throw new IllegalStateException("element " + k + " is " + first[k] + ", the mean is " + expected[k]);
            }
        }
        long minSent = Long.MAX_VALUE;
        for (int i = 0; i < peers; i++) minSent = Math.min(minSent, butterflies.get(i).bytesSent() - sent0[i]);
        return new double[] {seconds, minSent};
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
