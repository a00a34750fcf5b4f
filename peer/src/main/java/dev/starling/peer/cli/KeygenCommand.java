package dev.starling.peer.cli;

import dev.starling.p2p.core.PrivateKey;
import dev.starling.peer.node.KeyFile;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code starling keygen}: writes a new Ed25519 identity and prints its peer id as a JSON line. */
@Command(name = "keygen", mixinStandardHelpOptions = true,
        description = "Write a new Ed25519 identity (libp2p key file) and print its peer id.")
public final class KeygenCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "starling.key",
            description = "key file to write (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--force", description = "replace an existing key file (the peer id changes)")
    boolean force;

    @Override
    public Integer call() {
        PrivateKey key = KeyFile.create(out, force);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("peer_id", key.publicKey().toPeerId().toBase58());
        result.put("key_file", out.toAbsolutePath().toString());
        JsonResult.print(System.out, result);
        return 0;
    }
}
