package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainCommandTest {
    @TempDir
    Path dir;
    private final StringWriter err = new StringWriter();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private int run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            CommandLine cli = StarlingCommand.commandLine(new PrintWriter(err, true));
            return cli.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private void assertOneLineUserError(String... args) {
        assertEquals(2, run(args), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        err.getBuffer().setLength(0);
    }

    @Test
    void shouldRejectMissingEmptyBinaryAndOversizedInputWithExitTwo() throws IOException {
        assertOneLineUserError("train", "--data", dir.resolve("missing.txt").toString());
        assertOneLineUserError("train", "--data", Files.createFile(dir.resolve("empty.txt")).toString());
        assertOneLineUserError("train", "--data", Files.write(dir.resolve("x.dat"), new byte[] {0, 1, 2}).toString());
        assertOneLineUserError("train");
        assertOneLineUserError("train", "--preset", "nope");
        assertOneLineUserError("train", "--preset", "baby-gpt", "--channels", "65536", "--layers", "64");
        assertOneLineUserError("train", "--preset", "baby-gpt", "--heads", "3");
        assertOneLineUserError("sample", "--checkpoint", dir.resolve("none.safetensors").toString());
    }

    @Test
    void shouldTrainWriteCheckpointAndMetricsThenSample() throws IOException {
        Path text = Files.writeString(dir.resolve("t.txt"), "to be or not to be, that is the question. ".repeat(40));
        Path outDir = dir.resolve("run");
        Path metrics = dir.resolve("m.jsonl");
        int code = run("train", "--data", text.toString(), "--layers", "1", "--heads", "2", "--channels", "16",
                "--block-size", "16", "--batch-size", "2", "--steps", "6", "--eval-interval", "3", "--eval-batches",
                "2", "--final-eval-batches", "2", "--threads", "1", "--out", outDir.toString(), "--metrics",
                metrics.toString());
        assertEquals(0, code, err.toString());
        String json = out.toString(StandardCharsets.UTF_8).strip();
        assertTrue(json.startsWith("{\"val_loss\":") && json.contains("\"steps\":6"), json);
        assertTrue(Files.exists(outDir.resolve("model.safetensors")));
        assertEquals(6, Files.readAllLines(metrics).size());
        assertTrue(Files.readAllLines(metrics).getFirst().contains("\"grad_norm\""));
        out.reset();
        assertEquals(0, run("sample", "--checkpoint", outDir.resolve("model.safetensors").toString(), "--prompt",
                "to be", "--tokens", "20"), err.toString());
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("to be"), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void benchTrainShouldPrintTokensPerSecond() {
        assertEquals(0, run("bench", "train", "--layers", "1", "--channels", "32", "--vocab", "64", "--seq", "16",
                "--batch", "2", "--threads", "1", "--steps", "2", "--warmup", "1"), err.toString());
        String json = out.toString(StandardCharsets.UTF_8).strip();
        assertTrue(json.contains("\"tokens_per_s\"") && json.contains("\"ms_per_step\""), json);
    }
}
