package dev.starling.protocol.telemetry;

/**
 * What a round's group leader reports when an outer round completes.
 *
 * @param round            the outer round number
 * @param groupSize        members that contributed
 * @param durationMs       wall time of the all-reduce
 * @param bytesSent        bytes the whole group sent for this round
 * @param compressionRatio fp32 bytes over wire bytes of one update
 * @param valLoss          validation loss of the new θ_global, or NaN when not measured this round
 * @param stateHash        hash of the new θ_global
 * @param rejected         contributions rejected by validation or the aggregator
 */
public record RoundReport(long round, int groupSize, long durationMs, long bytesSent, double compressionRatio,
                          double valLoss, String stateHash, int rejected) implements TelemetryMessage {
}
