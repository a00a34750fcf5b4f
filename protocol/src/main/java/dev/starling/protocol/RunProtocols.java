package dev.starling.protocol;

/**
 * The names both deployables use on the mesh: libp2p protocol ids and gossipsub topics of a run.
 * Every topic carries the run id, so two runs sharing peers never read each other's messages.
 */
public final class RunProtocols {
    /** Stream protocol on which the coordinator serves the signed manifest. */
    public static final String MANIFEST = "/starling/manifest/1.0.0";

    private RunProtocols() {
    }

    /**
     * The gossipsub topic of a run's telemetry.
     *
     * @param runId the run id
     * @return the topic id
     */
    public static String telemetryTopic(String runId) {
        return "/starling/" + runId + "/telemetry";
    }

    /**
     * The gossipsub topic on which a run's peers show their join tokens (runs with {@code policy = "token"}).
     *
     * @param runId the run id
     * @return the topic id
     */
    public static String admissionTopic(String runId) {
        return "/starling/" + runId + "/admission";
    }

    /**
     * The gossipsub topic on which a run's peers form each round's group.
     *
     * @param runId the run id
     * @return the topic id
     */
    public static String roundTopic(String runId) {
        return "/starling/" + runId + "/rounds";
    }
}
