package dev.starling.training.diloco;

import dev.starling.collectives.aggregate.Mean;
import dev.starling.collectives.codec.BlockQuantCodec;
import dev.starling.collectives.codec.Fp32Codec;
import dev.starling.collectives.codec.TopKCodec;
import dev.starling.collectives.codec.UpdateCodec;
import dev.starling.optimizer.outer.Co2Config;
import dev.starling.optimizer.outer.OuterNesterovConfig;

/**
 * One configuration of the DiLoCo experiment. Immutable.
 *
 * @param mode       data-parallel baseline, blocking DiLoCo or DiLoCo + CO2
 * @param innerSteps H (ignored by the baseline)
 * @param codec      {@code fp32}, {@code int8}, {@code int4} or {@code topk} (the baseline is always fp32)
 * @param tag        appended to the name to tell apart settings that differ elsewhere (e.g. the outer optimizer);
 *                   empty for none
 */
public record ExperimentVariant(Mode mode, int innerSteps, String codec, String tag) {
    /** Top-k keeps this share of each contribution's elements. */
    public static final double TOP_K_FRACTION = 0.01;
    /** Default block size of the int8 and int4 codecs (elements per fp32 scale). */
    public static final int BLOCK = 64;

    /** How peers synchronise. */
    public enum Mode {
        /** Per-step fp32 gradient all-reduce. */
        DATA_PARALLEL,
        /** DiLoCo: H inner steps, then a blocking outer round. */
        DILOCO,
        /** DiLoCo with CO2's one-round-late outer step. */
        CO2
    }

    /**
     * Rejects unknown codecs.
     *
     * @throws IllegalArgumentException naming the codec
     */
    public ExperimentVariant {
        if (!java.util.List.of("fp32", "int8", "int4", "topk").contains(codec)) {
            throw new IllegalArgumentException("unknown codec '" + codec + "'; use fp32, int8, int4 or topk");
        }
        if (mode != Mode.DATA_PARALLEL && innerSteps < 1) {
            throw new IllegalArgumentException("H must be at least 1, got " + innerSteps);
        }
        if (tag == null) {
            throw new IllegalArgumentException("tag must not be null (use \"\")");
        }
    }

    /**
     * A variant without a tag.
     *
     * @param mode       how peers synchronise
     * @param innerSteps H (ignored by the baseline)
     * @param codec      the codec name
     */
    public ExperimentVariant(final Mode mode, final int innerSteps, final String codec) {
        this(mode, innerSteps, codec, "");
    }

    /**
     * A short name for files and tables, e.g. {@code diloco-h100-int8}.
     *
     * @return the name
     */
    public String name() {
        return switch (mode) {
            case DATA_PARALLEL -> "dp-fp32";
            case DILOCO -> "diloco-h" + innerSteps + "-" + codec;
            case CO2 -> "co2-h" + innerSteps + "-" + codec;
        } + tag;
    }

    /**
     * The outer settings of a DiLoCo or CO2 variant. Contributions carry error feedback; aggregated parts use the
     * same codec (top-k with {@code groupSize} times the fraction, so the union of the members' top-k fits).
     *
     * @param groupSize peers in the group
     * @return the outer config
     */
    public OuterConfig outerConfig(final int groupSize) {
        return outerConfig(groupSize, BLOCK, OuterNesterovConfig.DILOCO);
    }

    /**
     * The outer settings with a chosen codec block size and outer optimizer. CO2 takes the same learning rate and
     * momentum (Nesterov form) with {@link Co2Config#DEFAULTS}' penalties and momentum clip.
     *
     * @param groupSize peers in the group
     * @param codecBlock elements per scale of the int8 and int4 codecs
     * @param nesterov  outer learning rate and momentum
     * @return the outer config
     */
    public OuterConfig outerConfig(final int groupSize, final int codecBlock, final OuterNesterovConfig nesterov) {
        UpdateCodec contribution = codec(TOP_K_FRACTION, codecBlock);
        UpdateCodec aggregate = codec(Math.min(1.0, TOP_K_FRACTION * groupSize), codecBlock);
        Co2Config d = Co2Config.DEFAULTS;
        Co2Config co2 = mode != Mode.CO2 ? null : new Co2Config(nesterov.learningRate(), nesterov.momentum(),
            d.nesterov(), d.gapPenalty(), d.adaptivePenalty(), d.momentumClip());
        return new OuterConfig(innerSteps, nesterov, co2, contribution, aggregate, new Mean(), !"fp32".equals(codec));
    }

    private UpdateCodec codec(final double topK, final int block) {
        return switch (codec) {
            case "int8" -> BlockQuantCodec.int8(block);
            case "int4" -> BlockQuantCodec.int4(block);
            case "topk" -> new TopKCodec(topK);
            default -> Fp32Codec.INSTANCE;
        };
    }
}
