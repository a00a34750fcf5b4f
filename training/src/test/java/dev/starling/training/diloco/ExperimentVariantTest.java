package dev.starling.training.diloco;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.starling.optimizer.outer.OuterNesterovConfig;
import org.junit.jupiter.api.Test;

class ExperimentVariantTest {
    @Test
    void shouldUseTheChosenCodecBlockForContributionsAndAggregates() {
        OuterConfig c = new ExperimentVariant(ExperimentVariant.Mode.DILOCO, 500, "int4")
            .outerConfig(4, 256, OuterNesterovConfig.DILOCO);
        // 256 four-bit codes (128 bytes) and one fp32 scale: 4.125 bits per parameter, 7.76x below fp32
        assertEquals(132, c.contributionCodec().maxPayloadLength(256));
        assertEquals(132, c.aggregateCodec().maxPayloadLength(256));
        // int8, block 16: 64 one-byte codes and 4 fp32 scales
        assertEquals(64 + 4 * 4, new ExperimentVariant(ExperimentVariant.Mode.DILOCO, 50, "int8")
            .outerConfig(4, 16, OuterNesterovConfig.DILOCO).contributionCodec().maxPayloadLength(64));
        assertNull(c.co2());
    }

    @Test
    void shouldGiveCo2TheChosenOuterLearningRateAndMomentum() {
        OuterConfig c = new ExperimentVariant(ExperimentVariant.Mode.CO2, 250, "int4")
            .outerConfig(4, 256, new OuterNesterovConfig(1.0f, 0f));
        assertEquals(1.0f, c.co2().learningRate());
        assertEquals(0f, c.co2().momentum());
        assertEquals(1.0f, c.nesterov().learningRate());
    }
}
