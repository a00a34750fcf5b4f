package dev.starling.collectives.attack;

/**
 * Byzantine update attacks a peer can mount for experiments and tests ({@code --attack NAME}). Attackers are
 * assumed to collude and to see the honest updates of the round, the strongest threat model the defences are
 * measured against.
 */
public enum UpdateAttack {
    /** Send {@code −scale · own honest update}. */
    SIGN_FLIP,
    /** Send N(0, scale²) noise per coordinate. */
    GAUSSIAN_NOISE,
    /**
     * "A little is enough" (Baruch et al. 2019): send {@code mean − z · std} per coordinate of the honest updates,
     * with z chosen from the group size and the number of attackers so the value stays inside the honest spread.
     */
    ALIE,
    /** Inner-product manipulation (Xie et al. 2020): send {@code −scale · mean} of the honest updates. */
    IPM
}
