package dev.starling.p2p.core;

/**
 * Serves one protocol id: called once per stream whose protocol id was negotiated to it, inbound or
 * outbound. Runs on the stream's owner thread and must not block. Bytes the remote sent right behind
 * the negotiation are delivered to the returned handler after this method returns, never before.
 */
@FunctionalInterface
public interface ProtocolHandler {
    /**
     * Attaches to a freshly negotiated stream.
     *
     * @param stream the stream
     * @return the handler that receives the stream's events; never null
     */
    StreamHandler onStream(Stream stream);
}
