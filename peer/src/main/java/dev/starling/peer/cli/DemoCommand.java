package dev.starling.peer.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code starling demo}: a coordinator and a few peers on this machine, training on the built-in
 * dataset, with the dashboard on localhost. Not built yet: it says what it will do and exits 2.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a coordinator and three peers on this machine (not built yet).")
public final class DemoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new UserError("demo is not built yet: it will start a coordinator and three peers on this machine,"
                + " training a small GPT on the built-in dataset with the dashboard on http://127.0.0.1:8080;"
                + " until then run 'starling --help' for what exists.");
    }
}
