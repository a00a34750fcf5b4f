package dev.starling.tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The layout of many tensors packed back to back in one flat {@code float[]}, as llm.c's
 * {@code malloc_and_point_parameters} does: parameters, gradients and both AdamW moments share one
 * layout, so each is a single allocation and every per-tensor view has the same offset in all four.
 * Immutable once built; safe to share between threads.
 */
public final class FlatLayout {
    private final List<TensorView> views;
    private final Map<String, TensorView> byName;
    private final int size;

    private FlatLayout(List<TensorView> views, int size) {
        this.views = Collections.unmodifiableList(views);
        Map<String, TensorView> map = new LinkedHashMap<>();
        for (TensorView v : views) {
            map.put(v.name(), v);
        }
        this.byName = Collections.unmodifiableMap(map);
        this.size = size;
    }

    /**
     * Starts an empty layout.
     *
     * @return a builder; not thread-safe
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The views in the order they were added (which is also offset order).
     *
     * @return an unmodifiable list
     */
    public List<TensorView> views() {
        return views;
    }

    /**
     * Finds a view by name.
     *
     * @param name the tensor's name
     * @return the view
     * @throws IllegalArgumentException if no tensor has that name
     */
    public TensorView view(String name) {
        TensorView v = byName.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no tensor named " + name);
        }
        return v;
    }

    /**
     * Whether a tensor of this name exists.
     *
     * @param name the tensor's name
     * @return true if present
     */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /**
     * The total number of elements.
     *
     * @return the length a buffer with this layout needs
     */
    public int size() {
        return size;
    }

    /** Adds views one after another. Single-threaded. */
    public static final class Builder {
        private final List<TensorView> views = new ArrayList<>();
        private long next;

        private Builder() {
        }

        /**
         * Appends a tensor.
         *
         * @param name  a unique name
         * @param shape its dimensions
         * @return the new view
         * @throws IllegalArgumentException if the total would exceed {@code Integer.MAX_VALUE - 8} elements
         */
        public TensorView add(String name, int... shape) {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            if (next + n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("flat buffer would exceed 2^31 elements at " + name);
            }
            TensorView v = new TensorView(name, (int) next, shape);
            views.add(v);
            next += n;
            return v;
        }

        /**
         * Finishes the layout.
         *
         * @return the immutable layout
         */
        public FlatLayout build() {
            return new FlatLayout(new ArrayList<>(views), (int) next);
        }
    }
}
