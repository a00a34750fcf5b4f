package dev.starling.peer.cli;

/**
 * A mistake the user can fix (a bad flag value, a missing file, a manifest we cannot honour).
 * The command line prints its message as one line on stderr and exits with code 2, so the
 * message must say what is wrong and what to do about it.
 */
public final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates a user error.
     *
     * @param message one line naming the bad value and how to fix it
     */
    public UserError(String message) {
        super(message);
    }

    /**
     * Creates a user error caused by another exception (for example an {@code IOException}).
     *
     * @param message one line naming the bad value and how to fix it
     * @param cause   the underlying failure
     */
    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
