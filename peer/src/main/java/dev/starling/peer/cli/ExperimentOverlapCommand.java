package dev.starling.peer.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling experiment overlap}: the share of wall time each peer computes, blocking DiLoCo against CO2, both
 * over the real mesh with every peer's links emulated; the measurement is {@link OverlapRun} (also part of
 * {@code experiment diloco}). Prints one JSON line.
 */
@Command(name = "overlap", mixinStandardHelpOptions = true,
        description = "Compute share of wall time, blocking DiLoCo vs CO2 over the mesh on emulated links; JSON.")
public final class ExperimentOverlapCommand implements Callable<Integer> {
    @Option(names = "--peers", defaultValue = "4", description = "peers, 2..8 (default 4)")
    int peers;

    @Option(names = "--rounds", defaultValue = "6", description = "outer rounds per mode, at least 3 (default 6)")
    int rounds;

    @Option(names = "--inner-steps", defaultValue = "40", description = "inner steps H (default 40)")
    int innerSteps;

    @Option(names = "--link", defaultValue = "1mbit,50ms",
            description = "each peer's uplink rate and one-way delay, RATE,DELAY (default 1mbit,50ms)")
    String link;

    @Option(names = "--channels", defaultValue = "64", description = "model width (default 64; 2 layers, 4 heads)")
    int channels;

    @Override
    public Integer call() throws Exception {
        OverlapRun.Result result = new OverlapRun(peers, rounds, innerSteps, link, channels).measure();
        JsonResult.print(System.out, result.fields());
        return result.parity() ? 0 : StarlingCommand.EXIT_INTERNAL;
    }
}
