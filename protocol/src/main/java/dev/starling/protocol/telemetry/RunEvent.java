package dev.starling.protocol.telemetry;

/**
 * Something that happened to a peer and that a run owner wants on the timeline.
 *
 * @param kind   what happened
 * @param peerId the peer it happened to
 * @param detail one line for people (for example why a peer was banned)
 */
public record RunEvent(Kind kind, String peerId, String detail) implements TelemetryMessage {
    /** The kinds of event shown on the dashboard. */
    public enum Kind {
        /** A peer joined the run. */
        JOINED,
        /** A peer left or was declared dead by the failure detector. */
        LEFT,
        /** A peer's update or reduction was rejected. */
        ACCUSED,
        /** A peer was banned from the run. */
        BANNED
    }
}
