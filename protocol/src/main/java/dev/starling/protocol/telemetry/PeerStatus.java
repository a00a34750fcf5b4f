package dev.starling.protocol.telemetry;

/**
 * What one peer says about itself, gossiped every few seconds on the run's telemetry topic.
 * Values come from a remote peer: the coordinator shows them but never acts on them.
 *
 * @param peerId        the peer's libp2p id (base58)
 * @param hardware      a short description such as {@code "2 cores, 24 GiB"}
 * @param device        {@code cpu} or {@code cuda:0} and so on
 * @param stage         the pipeline stage it serves (0 without a pipeline)
 * @param round         the outer round it is in
 * @param innerStep     inner steps done in this round
 * @param innerSteps    H, inner steps per round
 * @param tokensPerS    recent training throughput
 * @param trainLoss     recent training loss
 * @param bytesSent     bytes sent since start, counted at the transport
 * @param bytesReceived bytes received since start
 * @param uptimeS       seconds since the peer started
 * @param stateHash     short hash of its θ_global after the last round
 */
public record PeerStatus(String peerId, String hardware, String device, int stage, long round, int innerStep,
                         int innerSteps, double tokensPerS, double trainLoss, long bytesSent, long bytesReceived,
                         long uptimeS, String stateHash) implements TelemetryMessage {
}
