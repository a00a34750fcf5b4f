package dev.starling.model;

/**
 * The root exception of the model module: a file, checkpoint, token or configuration the user
 * supplied is wrong. The message is one line that says what is wrong and how to fix it; the
 * command line shows it and exits with code 2. Thrown by the loader or constructor that found it.
 */
public final class BadInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message one line naming the bad input and the fix
     */
    public BadInputException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message one line naming the bad input and the fix
     * @param cause   the underlying failure
     */
    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
