package dev.starling.fault.checkfree;

/** How a pipeline gets a lost stage's weights back. */
public enum Strategy {
    /** Weighted average of the two neighbours; first and last stage fall back to copying their one neighbour. */
    CHECKFREE,
    /** CheckFree plus out-of-order pipelining and copies of the embedding and head kept on the neighbours. */
    CHECKFREE_PLUS,
    /** Every stage rolls back to the last checkpoint; the steps since are lost and recomputed. */
    CHECKPOINT_RESTART,
    /** Each stage keeps a replica of the next one and computes its forward too (Bamboo); recovery copies it. */
    REDUNDANT
}
