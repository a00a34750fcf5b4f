package dev.starling.collectives.attack;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The attacks a peer can be told to mount ({@code starling peer --attack NAME}, and the byzantine experiment), by
 * their command-line names. The update attacks change what the peer contributes; {@link #LYING_REDUCER} contributes
 * honestly but shifts the part it reduces.
 */
public enum PeerAttack {
    /** Send {@code −λ · Δ}. */
    SIGN_FLIP("sign-flip", true),
    /** Send Gaussian noise scaled to the size of an honest update. */
    NOISE("noise", true),
    /** "A little is enough": {@code mean − z · sign(mean) · std} of the honest updates, per coordinate. */
    ALIE("alie", true),
    /** Inner-product manipulation: {@code −ε · mean} of the honest updates. */
    IPM("ipm", true),
    /** Replay the update of an earlier round instead of this round's. */
    STALE_REPLAY("stale-replay", true),
    /** Copy one honest peer's update (over-weights it); needs the other peers' updates, so experiment only. */
    MIMIC("mimic", false),
    /** Contribute honestly, but add a constant shift to every coordinate of the part it reduces. */
    LYING_REDUCER("lying-reducer", true),
    /**
     * Label flipping (data poisoning): train the inner steps on the token stream mapped through a fixed seeded
     * permutation of the vocabulary ({@link LabelFlip}), and send that genuinely trained, poisoned update. Experiment
     * only for now: a mesh peer would need its training data swapped, which {@code starling peer} does not do.
     */
    LABEL_FLIP("label-flip", false);

    private final String cliName;
    private final boolean onMesh;

    PeerAttack(final String cliName, final boolean onMesh) {
        this.cliName = cliName;
        this.onMesh = onMesh;
    }

    /**
     * The command-line name.
     *
     * @return e.g. {@code sign-flip}
     */
    public String cliName() {
        return cliName;
    }

    /**
     * Whether a single peer over the mesh can mount it (it sees only its own update and the aggregates).
     *
     * @return true for every attack except {@link #MIMIC} and {@link #LABEL_FLIP}
     */
    public boolean onMesh() {
        return onMesh;
    }

    /**
     * Looks an attack up by its command-line name.
     *
     * @param name the name, case-insensitive
     * @return the attack, empty if unknown
     */
    public static Optional<PeerAttack> fromName(final String name) {
        String key = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(a -> a.cliName.equals(key)).findFirst();
    }

    /**
     * The command-line names, comma-separated.
     *
     * @param meshOnly list only those {@link #onMesh()}
     * @return e.g. {@code sign-flip, noise, ...}
     */
    public static String names(final boolean meshOnly) {
        return Arrays.stream(values()).filter(a -> !meshOnly || a.onMesh).map(PeerAttack::cliName)
            .collect(Collectors.joining(", "));
    }
}
