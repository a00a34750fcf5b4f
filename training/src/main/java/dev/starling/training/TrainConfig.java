package dev.starling.training;

import dev.starling.model.GptConfig;
import dev.starling.model.data.BatchSampler;
import dev.starling.optimizer.AdamWConfig;
import dev.starling.optimizer.CosineSchedule;

/**
 * Everything one local training run needs besides data and threads. Immutable; checked once.
 *
 * @param model            the GPT's shape
 * @param batchSize        sequences per step, B
 * @param seqLen           context per sequence, T (at most the block size)
 * @param steps            optimizer steps to take
 * @param adamw            optimizer hyperparameters
 * @param schedule         learning rate as a function of the step
 * @param gradClip         global gradient-norm cap; 0 disables clipping
 * @param evalInterval     validate every this many steps; 0 only at the end
 * @param evalBatches      validation batches per periodic evaluation
 * @param finalEvalBatches validation batches of the final evaluation
 * @param seed             seed of initialisation, batch order and dropout
 * @param order            random or sequential batches
 */
public record TrainConfig(GptConfig model, int batchSize, int seqLen, int steps, AdamWConfig adamw,
                          CosineSchedule schedule, float gradClip, int evalInterval, int evalBatches,
                          int finalEvalBatches, long seed, BatchSampler.Order order) {
    /**
     * Validates the combination.
     *
     * @throws IllegalArgumentException naming the bad values
     */
    public TrainConfig {
        if (batchSize < 1 || steps < 0 || evalInterval < 0 || evalBatches < 1 || finalEvalBatches < 1) {
            throw new IllegalArgumentException("batch size and eval batches must be positive, steps and eval interval"
                    + " not negative; got batch " + batchSize + ", steps " + steps + ", eval interval " + evalInterval
                    + ", eval batches " + evalBatches + "/" + finalEvalBatches);
        }
        if (seqLen < 1 || seqLen > model.blockSize()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " must be in [1, block size "
                    + model.blockSize() + "]");
        }
        if (!(gradClip >= 0f)) {
            throw new IllegalArgumentException("gradient clip must be 0 or more, got " + gradClip);
        }
    }
}
