package dev.starling.p2p.pubsub;

/** The verdict of a {@link MessageValidator} (gossipsub v1.1 extended validation). */
public enum ValidationResult {
    /** Deliver and forward. */
    ACCEPT,
    /** Invalid: drop, do not forward, and penalise the sender (P4). */
    REJECT,
    /** Drop without penalty (e.g. not interesting or not checkable now). */
    IGNORE
}
