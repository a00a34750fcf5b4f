package dev.starling.p2p.relay;

import dev.starling.p2p.core.P2pException;

/**
 * A peer sent a circuit relay message that breaks the wire format or a cap ({@link Category#PROTOCOL_VIOLATION}):
 * the handler answers {@code MALFORMED_MESSAGE} where it can and closes the stream. Unchecked, immutable.
 */
public final class RelayWireException extends P2pException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong, naming the values
     */
    public RelayWireException(String message) {
        super(Category.PROTOCOL_VIOLATION, "circuit relay message: " + message);
    }
}
