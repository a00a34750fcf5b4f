package dev.starling.protocol.manifest;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Everything a peer must agree on to join a run, as the run owner wrote it and
 * {@link ManifestParser} checked it. Immutable; safe to share between threads. The run id is
 * derived from {@link ManifestCodec#canonicalBytes}, so two peers holding equal records are in
 * the same run.
 *
 * @param name       a label for people; not part of any protocol decision
 * @param seed       the run's seed: model init, data shards and schedules derive from it
 * @param model      the GPT's shape
 * @param data       the dataset and batch shape
 * @param inner      the local AdamW phase
 * @param outer      the outer optimizer applied once per round
 * @param codec      how outer updates are compressed on the wire
 * @param aggregator how each butterfly part is combined
 * @param group      who forms a round's group
 * @param deadlines  caps on the adaptive deadlines
 * @param admission  who may join
 */
public record RunManifest(String name, long seed, Model model, Data data, Inner inner, Outer outer,
                          Codec codec, Aggregator aggregator, Group group, Deadlines deadlines,
                          Admission admission) {

    /**
     * The model's shape; the vocabulary size comes from the tokenizer in {@link Data}.
     *
     * @param layers    transformer blocks
     * @param heads     attention heads per block; must divide {@code channels}
     * @param channels  embedding width
     * @param blockSize context length in tokens
     * @param bias      whether linear layers and layernorms have biases
     * @param dropout   dropout probability during inner steps
     * @param stages    pipeline stages the blocks are cut into (1: no pipeline); must divide {@code layers}
     */
    public record Model(int layers, int heads, int channels, int blockSize, boolean bias, double dropout,
                        int stages) {
    }

    /**
     * Where tokens come from.
     *
     * @param source    {@code builtin:tinyshakespeare} or a path every peer can read
     * @param tokenizer {@code char} or {@code byte}
     * @param batchSize sequences per inner step
     */
    public record Data(String source, String tokenizer, int batchSize) {
    }

    /**
     * The inner phase: H AdamW steps with a warmup-then-cosine schedule.
     *
     * @param steps       H, inner steps per round
     * @param lr          peak learning rate
     * @param minLr       the cosine schedule's floor
     * @param warmupSteps linear warmup steps
     * @param beta1       AdamW beta1
     * @param beta2       AdamW beta2
     * @param weightDecay decoupled weight decay on 2-D tensors
     * @param gradClip    global gradient-norm clip (0: none)
     * @param seconds     time budget of an inner phase (0: none): a peer stops after H steps or this long, at least
     *                    one step, so slower peers do fewer steps and count for fewer samples in the aggregate
     */
    public record Inner(int steps, double lr, double minLr, int warmupSteps, double beta1, double beta2,
                        double weightDecay, double gradClip, double seconds) {
    }

    /**
     * The outer step on the pseudo-gradient.
     *
     * @param optimizer        {@code nesterov} (DiLoCo) or {@code co2} (one round late, overlapped)
     * @param lr               outer learning rate
     * @param momentum         outer momentum
     * @param stalenessPenalty CO2's staleness gap penalty (0 disables)
     * @param momentumClip     CO2's outer momentum clip as a norm (0 disables)
     */
    public record Outer(String optimizer, double lr, double momentum, double stalenessPenalty,
                        double momentumClip) {
    }

    /**
     * The wire codec of outer updates.
     *
     * @param name         {@code fp32}, {@code fp16}, {@code bf16}, {@code int8}, {@code int4} or {@code topk}
     * @param blockSize    elements per scale block for int8 and int4
     * @param topkFraction share of elements kept by top-k
     * @param errorFeedback whether the compression residual is carried into the next round
     */
    public record Codec(String name, int blockSize, double topkFraction, boolean errorFeedback) {
    }

    /**
     * The robust aggregator each reducer runs on its part.
     *
     * @param name       {@code mean}, {@code median}, {@code trimmed-mean}, {@code krum} or {@code centered-clip}
     * @param tau        CenteredClip's clipping radius
     * @param iterations CenteredClip's fixed-point iterations
     * @param trim       share trimmed at each end by trimmed-mean
     */
    public record Aggregator(String name, double tau, int iterations, double trim) {
    }

    /**
     * Group formation for a round.
     *
     * @param minSize fewest members for a round to run
     * @param maxSize most members of one group
     */
    public record Group(int minSize, int maxSize) {
    }

    /**
     * Upper bounds on the deadlines the peers derive from measured link speeds.
     *
     * @param roundMaxSeconds   longest an outer round may take
     * @param matchmakingSeconds longest to wait for a group to form
     */
    public record Deadlines(int roundMaxSeconds, int matchmakingSeconds) {
    }

    /**
     * Who may join.
     *
     * @param policy          {@code open}, {@code allowlist} or {@code token}
     * @param allowlist       peer ids admitted by {@code allowlist}
     * @param maxPeersPerHost most peer ids admitted from one IP address (a Sybil cap), 0 for no cap; left out of the
     *                        canonical bytes when 0, so manifests without it keep their run ids
     */
    public record Admission(String policy, List<String> allowlist,
                            @JsonInclude(JsonInclude.Include.NON_DEFAULT) int maxPeersPerHost) {
        /** Copies the list so the record stays immutable. */
        public Admission {
            allowlist = List.copyOf(allowlist);
        }

        /**
         * An admission table without a per-host cap.
         *
         * @param policy    {@code open}, {@code allowlist} or {@code token}
         * @param allowlist peer ids admitted by {@code allowlist}
         */
        public Admission(String policy, List<String> allowlist) {
            this(policy, allowlist, 0);
        }
    }
}
