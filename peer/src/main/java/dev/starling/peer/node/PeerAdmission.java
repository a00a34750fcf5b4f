package dev.starling.peer.node;

import dev.starling.coordinator.admission.AdmissionGate;
import dev.starling.p2p.core.PublicKey;
import dev.starling.peer.cli.UserError;
import dev.starling.protocol.RunProtocols;
import dev.starling.protocol.admission.AdmissionPolicy;
import dev.starling.protocol.admission.JoinToken;
import io.netty.util.concurrent.EventExecutor;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A peer's side of the run's admission policy: before it trains, it checks that the policy admits it (so a volunteer
 * without a token hears so in one line instead of being silently ignored), then installs the same
 * {@link AdmissionGate} the coordinator runs, so this peer too refuses telemetry and group membership from peers the
 * run does not admit (including ids over the manifest's per-host cap), and gossips its own token. Called once from
 * {@link PeerNode}'s constructor.
 */
final class PeerAdmission {
    private static final Logger LOG = LoggerFactory.getLogger(PeerAdmission.class);

    private PeerAdmission() {
    }

    static AdmissionGate install(PeerNode node, EventExecutor gossipOwner, JoinToken token) {
        PublicKey runKey = node.runKey().publicKey().orElseThrow(() -> new UserError("the run key "
                + node.runKey() + " does not embed its public key; join through the coordinator's Ed25519 id"));
        AdmissionPolicy policy = new AdmissionPolicy(node.manifest().admission(), node.runId(),
                node.runKey().toBase58(), runKey::verify);
        String self = node.peerId();
        switch (policy.check(self)) {
            case REFUSED -> throw new UserError("this run admits only the peer ids on its allowlist and " + self
                    + " is not one of them; send your peer id to the run owner");
            case NEEDS_TOKEN -> {
                if (token == null) {
                    throw new UserError("this run admits peers with a join token; send your peer id " + self
                            + " to the run owner, who mints one with 'starling token', and pass it with --token");
                }
                String why = policy.refusal(self, token, System.currentTimeMillis() / 1000);
                if (why != null) {
                    throw new UserError("--token is refused by this run: " + why.replaceFirst("^its ", "the ")
                            + "; ask the run owner for a token for " + self);
                }
            }
            case ADMITTED -> {
                // open run, or allowlisted
            }
        }
        byte[] own = policy.usesTokens() ? token.encode() : null;
        return AdmissionGate.install(node.gossip(), gossipOwner, policy, node.runId(),
                List.of(RunProtocols.telemetryTopic(node.runId()), RunProtocols.roundTopic(node.runId())), own,
                () -> System.currentTimeMillis() / 1000, new AdmissionGate.Listener() {
                    @Override
                    public void admitted(String peerId) {
                        LOG.debug("admitted {} (valid join token)", peerId);
                    }

                    @Override
                    public void refused(String peerId, String why) {
                        LOG.warn("not admitting {}: {}", peerId, why);
                    }
                }, AdmissionGate.HostLimit.fromConnections(node.manifest().admission().maxPeersPerHost(),
                        node.host()));
    }
}
