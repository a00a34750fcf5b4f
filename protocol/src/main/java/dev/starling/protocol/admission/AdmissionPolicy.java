package dev.starling.protocol.admission;

import dev.starling.protocol.manifest.RunManifest;
import java.util.Set;

/**
 * Who may take part in a run, from the manifest's {@code [admission]} table: {@code open} (anyone),
 * {@code allowlist} (the listed peer ids) or {@code token} (peers holding a {@link JoinToken} for their own id,
 * signed by the run key). The run key's own id (the coordinator) is always admitted. Pure and thread-safe: the
 * caller supplies the signature check and the time.
 */
public final class AdmissionPolicy {
    /** Checks a signature made by the run key; the caller binds it to its crypto library. */
    @FunctionalInterface
    public interface RunKeyCheck {
        /**
         * Verifies a signature by the run key.
         *
         * @param payload   the signed bytes
         * @param signature the signature
         * @return true if the run key made it
         */
        boolean verify(byte[] payload, byte[] signature);
    }

    /** The answer for one peer. */
    public enum Verdict {
        /** The peer may take part. */
        ADMITTED,
        /** The peer may take part once it shows a valid token; ask it for one. */
        NEEDS_TOKEN,
        /** The peer may not take part. */
        REFUSED
    }

    private final String policy;
    private final Set<String> allowlist;
    private final String runId;
    private final String runKeyPeerId;
    private final RunKeyCheck runKey;

    /**
     * Creates the policy of a run.
     *
     * @param admission    the manifest's admission table
     * @param runId        the run id
     * @param runKeyPeerId the run key's peer id (always admitted)
     * @param runKey       verifies signatures by the run key
     */
    public AdmissionPolicy(RunManifest.Admission admission, String runId, String runKeyPeerId, RunKeyCheck runKey) {
        this.policy = admission.policy();
        this.allowlist = Set.copyOf(admission.allowlist());
        this.runId = runId;
        this.runKeyPeerId = runKeyPeerId;
        this.runKey = runKey;
    }

    /**
     * Whether peers need tokens in this run.
     *
     * @return true for {@code policy = "token"}
     */
    public boolean usesTokens() {
        return "token".equals(policy);
    }

    /**
     * Judges a peer by its id alone.
     *
     * @param peerId the peer (authenticated by the transport)
     * @return {@link Verdict#NEEDS_TOKEN} only under the token policy
     */
    public Verdict check(String peerId) {
        if (peerId.equals(runKeyPeerId)) {
            return Verdict.ADMITTED;
        }
        return switch (policy) {
            case "open" -> Verdict.ADMITTED;
            case "allowlist" -> allowlist.contains(peerId) ? Verdict.ADMITTED : Verdict.REFUSED;
            default -> Verdict.NEEDS_TOKEN;
        };
    }

    /**
     * Judges a peer by the token it showed.
     *
     * @param peerId    the peer (authenticated by the transport)
     * @param token     the token it showed
     * @param nowEpochS Unix seconds now
     * @return null if the token admits the peer, else one line saying why not
     */
    public String refusal(String peerId, JoinToken token, long nowEpochS) {
        if (!token.runId().equals(runId)) {
            return "its token is for run " + token.runId().substring(0, Math.min(16, token.runId().length()));
        }
        if (!token.peerId().equals(peerId)) {
            return "its token was issued to another peer id";
        }
        if (token.expired(nowEpochS)) {
            return "its token expired at " + token.expiresAtS();
        }
        if (!runKey.verify(token.signingPayload(), token.signature())) {
            return "its token is not signed by the run key";
        }
        return null;
    }
}
