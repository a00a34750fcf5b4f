package dev.starling.peer.cli;

import picocli.CommandLine.Command;

/**
 * {@code starling p2p}: debug subcommands for testing libp2p connectivity. Each runs on the command's thread
 * and prints results as JSON lines on stdout, progress on stderr.
 */
@Command(name = "p2p", mixinStandardHelpOptions = true,
        description = "libp2p connectivity tools: listen, ping.",
        subcommands = {P2pListenCommand.class, P2pPingCommand.class})
public final class P2pCommand {
}
