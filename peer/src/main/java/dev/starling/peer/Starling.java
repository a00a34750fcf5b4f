package dev.starling.peer;

import dev.starling.peer.cli.StarlingCommand;

/**
 * Entry point of the {@code starling} command. Runs on the main thread and exits the JVM with the
 * command's exit code: 0 on success, 1 on an internal failure, 2 on a user error (bad flag,
 * bad file, bad manifest), each reported as one line on stderr.
 */
public final class Starling {
    private Starling() {
    }

    /**
     * Parses {@code args}, runs the chosen subcommand and exits.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(StarlingCommand.run(args));
    }
}
