package dev.starling.training.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * The hops of one micro-batch through the stage peers, given the order in which the stages' blocks run (in order,
 * or CheckFree+'s swapped order): the embedding always runs first on stage 0 and the head last on stage S-1, so a
 * hop is a stage and the parts it runs ({@link #EMBED}, {@link #BLOCKS}, {@link #HEAD}). Consecutive parts on the same
 * stage share one hop. In order that is {@code (0, E|B), (1, B), ..., (S-1, B|H)}; with stages 0,1 swapped it is
 * {@code (0, E), (1, B), (0, B), (2, B), ...}. The backward visits the forward hops in reverse, except the last one,
 * which runs its backward together with its forward. Client and stage peers derive the same plan from the micro-batch
 * id, so a stage peer can tell which stage a tensor must come from. Pure; any thread.
 *
 * @param hops the forward hops in order
 */
public record HopPlan(List<Hop> hops) {
    /** Part: the token and position embeddings (stage 0). */
    public static final int EMBED = 1;
    /** Part: the stage's transformer blocks. */
    public static final int BLOCKS = 2;
    /** Part: final norm, tied head and loss (stage S-1); its backward runs in the same hop. */
    public static final int HEAD = 4;

    /**
     * One hop.
     *
     * @param stage the stage that runs it
     * @param parts a non-empty set of {@link #EMBED}, {@link #BLOCKS}, {@link #HEAD}
     */
    public record Hop(int stage, int parts) {
        /**
         * Whether this hop runs a part.
         *
         * @param part one of the part bits
         * @return true if it does
         */
        public boolean has(int part) {
            return (parts & part) != 0;
        }
    }

    /**
     * The plan for one micro-batch.
     *
     * @param order the order of the stages' blocks, a permutation of {@code 0..S-1}
     * @return the plan
     * @throws IllegalArgumentException if {@code order} is not a permutation
     */
    public static HopPlan of(int[] order) {
        int stages = order.length;
        boolean[] seen = new boolean[stages];
        for (int k : order) {
            if (k < 0 || k >= stages || seen[k]) {
                throw new IllegalArgumentException("order " + java.util.Arrays.toString(order) + " is not a "
                        + "permutation of the stages");
            }
            seen[k] = true;
        }
        List<Hop> hops = new ArrayList<>();
        hops.add(new Hop(0, EMBED));
        for (int k : order) {
            add(hops, k, BLOCKS);
        }
        add(hops, stages - 1, HEAD);
        return new HopPlan(List.copyOf(hops));
    }

    private static void add(List<Hop> hops, int stage, int part) {
        Hop last = hops.getLast();
        if (last.stage() == stage) {
            hops.set(hops.size() - 1, new Hop(stage, last.parts() | part));
        } else {
            hops.add(new Hop(stage, part));
        }
    }

    /**
     * The index of a hop in this plan.
     *
     * @param stage the stage
     * @param parts its parts
     * @return the index, -1 when the plan has no such hop
     */
    public int indexOf(int stage, int parts) {
        return hops.indexOf(new Hop(stage, parts));
    }

    /**
     * Whether hop {@code index} is its stage's first in the plan: the backward of that hop ends the stage's work on
     * the micro-batch (its gradients are complete).
     *
     * @param index the hop
     * @return true if no earlier hop runs on the same stage
     */
    public boolean firstOfStage(int index) {
        for (int i = 0; i < index; i++) {
            if (hops.get(i).stage() == hops.get(index).stage()) {
                return false;
            }
        }
        return true;
    }

    /**
     * How many hops.
     *
     * @return the count
     */
    public int size() {
        return hops.size();
    }

    /**
     * A hop.
     *
     * @param index the hop
     * @return it
     */
    public Hop hop(int index) {
        return hops.get(index);
    }
}
