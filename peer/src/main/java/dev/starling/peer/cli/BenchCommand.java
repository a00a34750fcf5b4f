package dev.starling.peer.cli;

import picocli.CommandLine.Command;

/**
 * {@code starling bench}: the benchmarks. Each subcommand prints progress on stderr and one final
 * JSON line on stdout (see {@link JsonResult}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks; each prints one final JSON line on stdout.",
        subcommands = {
            BenchTrainCommand.class,
            BenchGemmCommand.class,
            BenchP2pCommand.class,
            BenchAllreduceCommand.class,
            BenchLinkCommand.class,
            BenchJoinCommand.class
        })
public final class BenchCommand {
}
