package dev.starling.peer.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParameterException;

/**
 * The top-level {@code starling} command and its error policy: a user error (bad flag, unknown
 * subcommand, {@link UserError}) prints one line on stderr and exits 2; an unexpected exception
 * prints one line plus its stack trace and exits 1. Called once, from the main thread.
 */
@Command(name = "starling", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Train one language model together on volunteers' computers.",
        subcommands = {
            DemoCommand.class,
            BenchCommand.class,
            TrainCommand.class,
            SampleCommand.class,
            KeygenCommand.class,
            CoordinatorCommand.class,
            TokenCommand.class,
            PeerCommand.class,
            P2pCommand.class,
            ExperimentCommand.class
        })
public final class StarlingCommand implements Runnable {
    /** Exit code for a mistake the user can fix. */
    public static final int EXIT_USER_ERROR = 2;
    /** Exit code for a failure inside Starling. */
    public static final int EXIT_INTERNAL = 1;

    @Override
    public void run() {
        throw new ParameterException(new CommandLine(this), "missing subcommand; try 'starling --help'");
    }

    /**
     * Builds the command line with Starling's error policy.
     *
     * @param err where one-line errors go (normally stderr)
     * @return the configured picocli command line
     */
    public static CommandLine commandLine(PrintWriter err) {
        CommandLine cli = new CommandLine(new StarlingCommand());
        cli.setErr(err);
        cli.setParameterExceptionHandler((ex, args) -> {
            String name = ex.getCommandLine().getCommandName();
            String where = "starling".equals(name) ? "starling" : "starling " + qualifiedName(ex.getCommandLine());
            String what = ex instanceof CommandLine.UnmatchedArgumentException unmatched
                    ? "unknown subcommand or argument '" + unmatched.getUnmatched().getFirst() + "'"
                    : oneLine(ex.getMessage());
            err.println(where + ": " + what + " (see '" + where + " --help')");
            err.flush();
            return EXIT_USER_ERROR;
        });
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof UserError) {
                err.println("starling: " + oneLine(ex.getMessage()));
                err.flush();
                return EXIT_USER_ERROR;
            }
            err.println("starling: internal error: " + oneLine(String.valueOf(ex)));
            ex.printStackTrace(err);
            err.flush();
            return EXIT_INTERNAL;
        });
        return cli;
    }

    /**
     * Runs {@code args} and returns the exit code.
     *
     * @param args the command line
     * @return 0 on success, {@link #EXIT_USER_ERROR} or {@link #EXIT_INTERNAL} otherwise
     */
    public static int run(String... args) {
        return commandLine(new PrintWriter(System.err, true)).execute(args);
    }

    private static String qualifiedName(CommandLine commandLine) {
        String qualified = commandLine.getCommandSpec().qualifiedName(" ");
        return qualified.startsWith("starling ") ? qualified.substring("starling ".length()) : qualified;
    }

    private static String oneLine(String message) {
        String text = message == null ? "" : message.strip();
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline).strip();
    }
}
