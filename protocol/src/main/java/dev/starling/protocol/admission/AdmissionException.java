package dev.starling.protocol.admission;

/**
 * A join token that cannot be read (malformed, over a size cap, not base64). Thrown by {@link JoinToken#decode} and
 * {@link JoinToken#fromText}; the caller treats the sender as not admitted, or tells the user what to fix.
 */
public final class AdmissionException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message one line saying what is wrong
     */
    public AdmissionException(String message) {
        super(message);
    }
}
