package dev.starling.peer.cli;

import dev.starling.fault.sync.HeldStates;
import dev.starling.fault.sync.StateImage;
import dev.starling.fault.sync.StateManifest;
import dev.starling.fault.sync.StateSource;
import dev.starling.fault.sync.StateSyncService;
import dev.starling.fault.sync.SyncPlan;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench join}: a joiner's state download at scale, over real libp2p hosts (loopback TCP, Noise,
 * yamux) with emulated links. N source hosts serve the same state (θ_global and the outer Nesterov momentum of a
 * model of {@code --params} parameters, with a round and an inner-step count) on {@link StateSyncService#PROTOCOL};
 * a joiner downloads it from all of them at once, every chunk checked against the manifest and θ against the
 * published hash, and the bench compares the bytes with the original. Link model: every host has an uplink and the
 * joiner a downlink of the link rate, every connection the one-way delay; the joiner's downlink is shared by all
 * sources, so parallel sources cannot exceed it. Raw transfer time = (state bytes + manifest bytes) × 8 / rate.
 * Three scenarios: all sources honest; one source killed (its host closed) mid-download; one source lying (every
 * chunk corrupted). A warm-up download of a 1M-parameter state runs first, in the same JVM. Runs on the calling
 * thread; each host has its own event loop.
 */
@Command(name = "join", mixinStandardHelpOptions = true,
        description = "A joiner's multi-source state download over emulated links, against the raw transfer time,"
                + " as JSON.")
public final class BenchJoinCommand implements Callable<Integer> {
    /** The section names {@code DilocoPeer.exportState} uses for θ and the Nesterov momentum. */
    private static final String THETA = "theta";
    private static final String MOMENTUM = "outer.nesterov.momentum";
    private static final long ROUND = 42;
    private static final long INNER_STEPS = 42 * 500;

    @Option(names = "--params", defaultValue = "25000000", description = "model parameters (default 25000000)")
    long params;

    @Option(names = "--sources", defaultValue = "3", description = "source hosts, 1..8 (default 3)")
    int sources;

    @Option(names = "--link", defaultValue = "100mbit,50ms",
            description = "RATE,DELAY: uplinks, the joiner's downlink and the one-way delay (default 100mbit,50ms)")
    String link;

    @Option(names = "--chunk-kb", description = "chunk size in KiB (default: the state service's)")
    Integer chunkKb;

    @Option(names = "--in-flight", description = "requests in flight per source (default: the state service's)")
    Integer inFlight;

    @Option(names = "--scenarios", split = ",", defaultValue = "honest,kill,liar",
            description = "which to run: honest, kill (a source dies at 30% of the raw time), liar (a source"
                    + " corrupts every chunk); default all")
    List<String> scenarios;

    @Override
    public Integer call() throws Exception {
        if (params < 1000 || params > 120_000_000) throw new UserError("--params must be in 1000..120000000");
        if (sources < 1 || sources > 8) throw new UserError("--sources must be in 1..8, got " + sources);
        LinkProfile profile;
        try {
            profile = LinkProfile.parse(link);
        } catch (IllegalArgumentException e) {
            throw new UserError("--link: " + e.getMessage(), e);
        }
        if (profile.rateBitsPerSecond() == 0) throw new UserError("--link needs a rate, e.g. 100mbit,50ms");
        int chunk = chunkKb == null ? StateManifest.DEFAULT_CHUNK_BYTES : chunkKb * 1024;
        if (chunk < StateManifest.MIN_CHUNK_BYTES || chunk > StateManifest.MAX_CHUNK_BYTES) {
            throw new UserError("--chunk-kb must be in 1.." + StateManifest.MAX_CHUNK_BYTES / 1024);
        }
        SyncPlan.Settings d = SyncPlan.Settings.defaults();
        int window = inFlight == null ? d.inFlightPerSource() : inFlight;
        if (window < 1 || window > 64) throw new UserError("--in-flight must be in 1..64");
        for (String s : scenarios) {
            if (!List.of("honest", "kill", "liar").contains(s)) {
                throw new UserError("--scenarios: unknown " + s + " (honest, kill, liar)");
            }
        }
        if (scenarios.contains("kill") && sources < 2) throw new UserError("the kill scenario needs --sources >= 2");
        SyncPlan.Settings settings = new SyncPlan.Settings(window, d.firstTimeoutNanos(), d.minTimeoutNanos(),
                d.maxTimeoutNanos(), d.slack());

        StateImage image = state(params);
        HeldStates held = new HeldStates(chunk);
        StateManifest manifest = held.publish(image);
        long bytes = manifest.totalBytes() + manifest.encode().length;
        double rawSeconds = bytes * 8.0 / profile.rateBitsPerSecond();
        System.err.printf(Locale.ROOT, "bench join: %,d parameters, %,d bytes in %d chunks of %d KiB, %d sources,"
                + " %s; raw transfer %.2f s at the joiner's downlink%n", params, manifest.totalBytes(),
                manifest.chunks(), chunk / 1024, sources, link, rawSeconds);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("params", params);
        result.put("state_bytes", manifest.totalBytes());
        result.put("sources", sources);
        result.put("link", link);
        result.put("rate_applies_to", "each host's uplink and the joiner's downlink (shared by all sources)");
        result.put("chunk_bytes", chunk);
        result.put("in_flight_per_source", window);
        result.put("raw_s", round(rawSeconds));
        // A first, small download warms up the JIT (the same code paths), so the timed ones measure the protocol.
        StateImage small = state(1_000_000);
        HeldStates smallHeld = new HeldStates(chunk);
        StateManifest smallManifest = smallHeld.publish(small);
        double smallRaw = (smallManifest.totalBytes() + smallManifest.encode().length) * 8.0
                / profile.rateBitsPerSecond();
        Map<String, Object> warm = scenario("honest", small, smallHeld, profile, settings, smallRaw, 380);
        result.put("warmup_s", warm.get("seconds"));
        List<Map<String, Object>> runs = new ArrayList<>();
        int seed = 0;
        for (String scenario : scenarios) {
            runs.add(scenario(scenario, image, held, profile, settings, rawSeconds, 400 + 20 * seed++));
        }
        result.put("scenarios", runs);
        runs.stream().filter(r -> r.get("scenario").equals("honest")).findFirst()
                .ifPresent(r -> result.put("join_time_ratio", r.get("ratio")));
        JsonResult.print(System.out, result);
        return 0;
    }

    /** A model's shared state: seeded θ and a small outer momentum, as {@code DilocoPeer.exportState} lays it out. */
    private static StateImage state(long params) {
        float[] theta = new float[(int) params];
        float[] momentum = new float[(int) params];
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < theta.length; i++) {
            theta[i] = (float) (random.nextGaussian() * 0.02);
            momentum[i] = (float) (random.nextGaussian() * 1e-4);
        }
        return new StateImage(ROUND, INNER_STEPS, List.of(StateImage.Section.ofFloats(THETA, theta),
                StateImage.Section.ofFloats(MOMENTUM, momentum)));
    }

    /** Notes when the first and the last chunk request reached any source (where the time goes). */
    private record Timed(StateSource inner, AtomicLong manifest, AtomicLong first, AtomicLong last)
            implements StateSource {
        @Override
        public byte[] manifest(long round) {
            manifest.compareAndSet(0, System.nanoTime());
            return inner.manifest(round);
        }

        @Override
        public byte[] chunk(long round, int index) {
            long now = System.nanoTime();
            first.compareAndSet(0, now);
            last.accumulateAndGet(now, Math::max);
            return inner.chunk(round, index);
        }
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
            if (c != null) c[c.length / 2] ^= 1;
            return c;
        }
    }

    private Map<String, Object> scenario(String name, StateImage image, HeldStates held, LinkProfile profile,
                                         SyncPlan.Settings settings, double rawSeconds, int keySeed)
            throws Exception {
        PeerId joinerId = Keys.ed25519ForTest(keySeed).publicKey().toPeerId();
        LinkEmulation emulation = LinkEmulation.uniform(new LinkProfile(0, profile.delayNanos(), 0))
                .withUplink(profile.rateBitsPerSecond()).withDownlink(joinerId, profile.rateBitsPerSecond());
        List<Host> hosts = new ArrayList<>();
        List<StateSyncService> services = new ArrayList<>();
        DefaultEventExecutor owner = new DefaultEventExecutor();
        ScheduledExecutorService killer = Executors.newSingleThreadScheduledExecutor();
        AtomicLong firstManifest = new AtomicLong();
        AtomicLong firstChunk = new AtomicLong();
        AtomicLong lastChunk = new AtomicLong();
        try {
            List<Multiaddr> addrs = new ArrayList<>();
            for (int i = 0; i < sources; i++) {
                Host h = new HostBuilder().identity(Keys.ed25519ForTest(keySeed + 1 + i)).tcpTransport()
                        .linkEmulation(emulation).build();
                hosts.add(h);
                addrs.add(h.listen(Multiaddr.fromString("/ip4/127.0.0.1/tcp/0")).get(10, TimeUnit.SECONDS)
                        .withPeerId(h.peerId()));
                StateSource source = new Timed(name.equals("liar") && i == sources - 1 ? new CorruptChunks(held)
                        : held, firstManifest, firstChunk, lastChunk);
                services.add(new StateSyncService(h, source, owner, System::nanoTime, settings,
                        TimeUnit.MINUTES.toNanos(10)));
            }
            Host joiner = new HostBuilder().identity(Keys.ed25519ForTest(keySeed)).tcpTransport()
                    .linkEmulation(emulation).build();
            hosts.add(joiner);
            StateSyncService sync = new StateSyncService(joiner, new HeldStates(StateManifest.MIN_CHUNK_BYTES),
                    owner, System::nanoTime, settings, TimeUnit.MINUTES.toNanos(10));
            services.add(sync);
            long dial0 = System.nanoTime();
            List<CompletableFuture<?>> dials = new ArrayList<>();
            addrs.forEach(a -> dials.add(joiner.dial(a)));
            CompletableFuture.allOf(dials.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
            double dialSeconds = (System.nanoTime() - dial0) / 1e9;
            List<PeerId> ids = hosts.subList(0, sources).stream().map(Host::peerId).toList();
            if (name.equals("kill")) {
                Host victim = hosts.getFirst();
                killer.schedule(victim::close, (long) (rawSeconds * 0.3 * 1000), TimeUnit.MILLISECONDS);
            }
            long t0 = System.nanoTime();
            StateSyncService.Download download = sync.download(image.round(), image.thetaHash(), ids)
                    .get(10, TimeUnit.MINUTES);
            double seconds = (System.nanoTime() - t0) / 1e9;
            check(image, download.image());
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("scenario", name);
            run.put("seconds", round(seconds));
            run.put("ratio", round(seconds / rawSeconds));
            run.put("dial_s", round(dialSeconds));
            run.put("first_manifest_request_s", round((firstManifest.get() - t0) / 1e9));
            run.put("first_chunk_request_s", round((firstChunk.get() - t0) / 1e9));
            run.put("last_chunk_request_s", round((lastChunk.get() - t0) / 1e9));
            run.put("verified", true);
            Map<String, String> excluded = new LinkedHashMap<>();
            download.excluded().forEach((id, why) -> excluded.put("source " + ids.indexOf(PeerId.fromString(id)),
                    why));
            run.put("excluded", excluded);
            System.err.printf(Locale.ROOT, "  %s: %.2f s (%.3f x raw), dial %.2f s, excluded %s%n", name, seconds,
                    seconds / rawSeconds, dialSeconds, excluded);
            return run;
        } finally {
            killer.shutdownNow();
            services.forEach(StateSyncService::close);
            hosts.forEach(Host::close);
            owner.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static void check(StateImage want, StateImage got) {
        if (got.round() != want.round() || got.innerSteps() != want.innerSteps()
                || got.sections().size() != want.sections().size()) {
            throw new IllegalStateException("downloaded round " + got.round() + " / " + got.innerSteps()
                    + " inner steps, want " + want.round() + " / " + want.innerSteps());
        }
        for (int i = 0; i < want.sections().size(); i++) {
            if (!Arrays.equals(want.sections().get(i).bytes(), got.sections().get(i).bytes())) {
                throw new IllegalStateException("section " + want.sections().get(i).name() + " differs");
            }
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
