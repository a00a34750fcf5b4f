package dev.starling.protocol.telemetry;

/** A message on the run's telemetry topic: one of a closed set, encoded by {@link TelemetryCodec}. */
public sealed interface TelemetryMessage permits PeerStatus, RoundReport, RunEvent {
}
