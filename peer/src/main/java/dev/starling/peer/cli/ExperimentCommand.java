package dev.starling.peer.cli;

import picocli.CommandLine.Command;

/**
 * {@code starling experiment}: reproducible experiments that run real peers in this JVM. Each subcommand prints
 * progress on stderr, writes CSV and PNG files, and prints one final JSON line on stdout (see {@link JsonResult}).
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Experiments; each writes CSV + PNG files and prints one final JSON line on stdout.",
        subcommands = {ExperimentDilocoCommand.class, ExperimentByzantineCommand.class,
                ExperimentCheckfreeCommand.class, ExperimentOverlapCommand.class, ExperimentChurnCommand.class})
public final class ExperimentCommand {
}
