package dev.starling.peer.cli;

import dev.starling.peer.node.MemoryEstimate;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * The peer's resource flags, {@code --device} and {@code --max-memory}, as a picocli mixin, each checked once
 * with a one-line {@link UserError}. This build trains on the CPU only: {@code auto} picks it and says why,
 * {@code cuda} is refused. Used on the command's thread.
 */
public final class ResourceOptions {
    /** Why {@code --device auto} chose the CPU in this build. */
    static final String NO_CUDA = "this build has no CUDA backend yet";

    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|cuda",
            description = "where to train: auto (a GPU when this build can use one, else the CPU), cpu or cuda"
                    + " (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--max-memory", paramLabel = "SIZE", description = "refuse to join a run whose model, optimizer"
            + " state and activations need more than SIZE (for example 512m or 4g)")
    String maxMemory;

    /** The device chosen and why, for the joined line and telemetry. */
    record Device(String name, String reason) {
    }

    /**
     * Resolves {@code --device}.
     *
     * @return the device to train on
     * @throws UserError if the value is unknown or names a backend this build lacks
     */
    Device device() {
        return switch (device.toLowerCase(Locale.ROOT)) {
            case "auto" -> new Device("cpu", "auto: " + NO_CUDA);
            case "cpu" -> new Device("cpu", "asked for with --device cpu");
            case "cuda" -> throw new UserError("--device cuda: the CUDA backend is not available in this build;"
                    + " use --device cpu or auto");
            default -> throw new UserError("--device " + device + " is not auto, cpu or cuda");
        };
    }

    /**
     * Parses {@code --max-memory}.
     *
     * @return the limit in bytes, or 0 when not given
     * @throws UserError if the value is not a size
     */
    long maxMemoryBytes() {
        if (maxMemory == null) {
            return 0;
        }
        return parseBytes("--max-memory", maxMemory);
    }

    /**
     * Refuses a run that will not fit in {@code --max-memory}.
     *
     * @param estimate what the run needs
     * @throws UserError naming both sizes when it does not fit
     */
    void checkFits(MemoryEstimate estimate) {
        long limit = maxMemoryBytes();
        if (limit > 0 && estimate.totalBytes() > limit) {
            throw new UserError("this run needs " + estimate.describe() + " but --max-memory is " + maxMemory
                    + "; raise --max-memory or join a run with a smaller model");
        }
    }

    /**
     * Parses a size such as {@code 512m}, {@code 4G}, {@code 1.5g} or {@code 1048576} (bytes); k, m, g and t are
     * powers of 1024, with an optional trailing {@code b} or {@code ib}.
     *
     * @param flag  the flag, for the message
     * @param value what the user wrote
     * @return bytes
     * @throws UserError if it is not a positive size
     */
    static long parseBytes(String flag, String value) {
        String s = value.strip().toLowerCase(Locale.ROOT);
        if (s.endsWith("ib")) {
            s = s.substring(0, s.length() - 2);
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        int shift = 0;
        if (!s.isEmpty()) {
            shift = switch (s.charAt(s.length() - 1)) {
                case 'k' -> 10;
                case 'm' -> 20;
                case 'g' -> 30;
                case 't' -> 40;
                default -> 0;
            };
        }
        String digits = shift == 0 ? s : s.substring(0, s.length() - 1);
        try {
            double amount = Double.parseDouble(digits);
            double bytes = amount * (1L << shift);
            if (!(amount > 0) || bytes >= Long.MAX_VALUE || digits.contains("e") || digits.contains("n")) {
                throw new NumberFormatException();
            }
            return (long) bytes;
        } catch (NumberFormatException e) {
            throw new UserError(flag + " " + value + " is not a size; write for example 512m or 4g", e);
        }
    }
}
