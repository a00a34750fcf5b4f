package dev.starling.tensor;

import java.util.Arrays;

/**
 * One owned, contiguous {@code float[]} holding every tensor of a {@link FlatLayout}. Parameters,
 * gradients and optimizer moments are each one {@code FlatBuffer}; all-reduce, compression,
 * checkpointing and the outer optimizer work on {@link #data()} as one vector.
 *
 * <p>Owner: whoever constructed it; {@link #close()} drops the storage (try-with-resources).
 * Thread model: written by its owner thread (kernels may split one write across a worker team
 * the owner is waiting on). Throws {@link IllegalStateException} when used after close.
 */
public final class FlatBuffer implements AutoCloseable {
    private final FlatLayout layout;
    private float[] data;

    /**
     * Allocates a zeroed buffer.
     *
     * @param layout the tensors it holds
     */
    public FlatBuffer(FlatLayout layout) {
        this.layout = layout;
        this.data = new float[layout.size()];
    }

    /**
     * The layout.
     *
     * @return the tensors this buffer holds
     */
    public FlatLayout layout() {
        return layout;
    }

    /**
     * The storage itself (not a copy).
     *
     * @return the flat array
     * @throws IllegalStateException after {@link #close()}
     */
    public float[] data() {
        if (data == null) {
            throw new IllegalStateException("flat buffer used after close");
        }
        return data;
    }

    /**
     * Offset of a named tensor.
     *
     * @param name the tensor's name
     * @return its first element's index in {@link #data()}
     */
    public int offset(String name) {
        return layout.view(name).offset();
    }

    /** Sets every element to zero. */
    public void zero() {
        Arrays.fill(data(), 0f);
    }

    /** Drops the storage; later calls to {@link #data()} throw. Idempotent. */
    @Override
    public void close() {
        data = null;
    }
}
