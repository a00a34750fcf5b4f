package dev.starling.p2p.pubsub;

/**
 * Application validation of a received message, called on the router's owner thread before delivery and forwarding.
 * It must be fast and must not block; it must not throw (a throw is treated as {@link ValidationResult#IGNORE}).
 */
@FunctionalInterface
public interface MessageValidator {
    /** Accepts everything. */
    MessageValidator ACCEPT_ALL = (from, message) -> ValidationResult.ACCEPT;

    /**
     * Judges a message.
     *
     * @param propagationSource the peer that forwarded it to us
     * @param message the message (signature already checked where the policy requires it)
     * @return the verdict
     */
    ValidationResult validate(PeerKey propagationSource, PubsubMessage message);
}
