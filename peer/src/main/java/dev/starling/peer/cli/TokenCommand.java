package dev.starling.peer.cli;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.peer.node.KeyFile;
import dev.starling.protocol.admission.JoinToken;
import dev.starling.protocol.manifest.ManifestCodec;
import dev.starling.protocol.manifest.ManifestException;
import dev.starling.protocol.manifest.ManifestParser;
import dev.starling.protocol.manifest.RunManifest;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling token}: the run owner mints a join token for one volunteer's peer id, signed with the
 * coordinator's key (the run key), for a run whose manifest says {@code [admission] policy = "token"}. Prints one
 * JSON line; the volunteer passes {@code "token"} to {@code starling peer --token}.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Mint a join token for a peer id (runs with [admission] policy = \"token\").")
public final class TokenCommand implements Callable<Integer> {
    @Option(names = "--manifest", required = true, description = "the run manifest (TOML)")
    Path manifest;

    @Option(names = "--key", defaultValue = "coordinator.key",
            description = "the coordinator's key file, which signs the manifest (default: ${DEFAULT-VALUE})")
    Path key;

    @Option(names = "--peer", required = true, description = "the volunteer's peer id ('starling keygen' prints it)")
    String peer;

    @Option(names = "--valid-days", defaultValue = "0",
            description = "days the token stays valid; 0 for as long as the run (default: ${DEFAULT-VALUE})")
    int validDays;

    @Override
    public Integer call() {
        RunManifest run;
        try {
            run = ManifestParser.load(manifest);
        } catch (ManifestException e) {
            throw new UserError(e.getMessage(), e);
        }
        try {
            PeerId.fromString(peer);
        } catch (P2pException | IllegalArgumentException e) {
            throw new UserError("--peer " + peer + " is not a peer id; 'starling keygen' prints one", e);
        }
        if (validDays < 0 || validDays > 36_500) {
            throw new UserError("--valid-days must be 0..36500, got " + validDays);
        }
        if (!"token".equals(run.admission().policy())) {
            throw new UserError("manifest " + manifest + " has [admission] policy = \"" + run.admission().policy()
                    + "\"; tokens only matter with policy = \"token\"");
        }
        PrivateKey identity = KeyFile.load(key);
        String runId = ManifestCodec.runId(run);
        long expires = validDays == 0 ? 0 : System.currentTimeMillis() / 1000 + validDays * 86_400L;
        JoinToken token = new JoinToken(runId, peer, expires,
                identity.sign(JoinToken.signingPayload(runId, peer, expires)));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("token", token.toText());
        result.put("peer_id", peer);
        result.put("run_id", runId);
        result.put("expires_at", expires == 0 ? null : expires);
        result.put("signed_by", identity.publicKey().toPeerId().toBase58());
        JsonResult.print(System.out, result);
        return 0;
    }
}
