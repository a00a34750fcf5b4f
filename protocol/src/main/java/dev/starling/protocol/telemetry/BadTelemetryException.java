package dev.starling.protocol.telemetry;

/**
 * A telemetry message from a remote peer that was too large or malformed. The receiver drops the
 * message, logs one line naming the sender, and carries on.
 */
public final class BadTelemetryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong
     */
    public BadTelemetryException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what was wrong
     * @param cause   the parse failure
     */
    public BadTelemetryException(String message, Throwable cause) {
        super(message, cause);
    }
}
