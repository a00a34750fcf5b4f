package dev.starling.tensor;

import java.util.Arrays;

/**
 * A named, row-major view into a flat {@code float[]}: the tensor's elements are
 * {@code data[offset .. offset + size())}. Immutable; safe to share between threads.
 *
 * @param name   the tensor's name, for example {@code h.0.attn.c_attn.weight}
 * @param offset index of the first element in the flat buffer
 * @param shape  the dimensions, outermost first (copied; never mutated)
 */
public record TensorView(String name, int offset, int[] shape) {
    /**
     * Checks and copies the shape.
     *
     * @throws IllegalArgumentException if the offset is negative or a dimension is not positive
     */
    public TensorView {
        if (offset < 0) {
            throw new IllegalArgumentException(name + ": negative offset " + offset);
        }
        shape = shape.clone();
        for (int d : shape) {
            if (d <= 0) {
                throw new IllegalArgumentException(name + ": non-positive dimension in " + Arrays.toString(shape));
            }
        }
    }

    /**
     * The number of elements.
     *
     * @return the product of the dimensions
     */
    public int size() {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    /**
     * The number of dimensions.
     *
     * @return the rank
     */
    public int rank() {
        return shape.length;
    }

    /**
     * One dimension.
     *
     * @param i the axis
     * @return the size of axis {@code i}
     */
    public int dim(int i) {
        return shape[i];
    }

    /**
     * The shape as a fresh array.
     *
     * @return a copy of the dimensions
     */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorView v && v.name.equals(name) && v.offset == offset && Arrays.equals(v.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + offset * 17 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + "@" + offset;
    }
}
