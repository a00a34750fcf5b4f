package dev.starling.protocol.manifest;

/**
 * A manifest that cannot be honoured: unreadable, malformed TOML, an unknown key, a value of the
 * wrong type or out of range, or an inconsistent combination. The message is one line that names
 * the key and the value and says what is allowed, so the command line can print it as is.
 */
public final class ManifestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message one line naming the key, the bad value and what is allowed
     */
    public ManifestException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message one line naming what is wrong
     * @param cause   the underlying parse or I/O failure
     */
    public ManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
