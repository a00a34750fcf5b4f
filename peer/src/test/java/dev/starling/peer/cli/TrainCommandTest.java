package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.model.checkpoint.Checkpoint;
import dev.starling.model.checkpoint.GptImporters;
import dev.starling.model.checkpoint.SafeTensors;
import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.TensorView;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
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

    private String assertOneLineUserError(String... args) {
        assertEquals(2, run(args), err.toString());
        String message = err.toString().strip();
        assertEquals(1, message.lines().count(), message);
        err.getBuffer().setLength(0);
        return message;
    }

    private void assertOneLineUserError(String expected, String[] args) {
        String message = assertOneLineUserError(args);
        assertTrue(message.contains(expected), message);
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

    private static final String TEXT = "to be or not to be, that is the question. ";
    private static final String[] LLMC_KINDS = {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
        "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
        "mlp.c_proj.weight", "mlp.c_proj.bias"};

    private static boolean conv1d(String name) {
        return name.endsWith("c_attn.weight") || name.endsWith("c_proj.weight") || name.endsWith("c_fc.weight");
    }

    /** Hugging Face GPT-2 layout: transformer.* names, Conv1D weights stored (in,out) unless transposeConv is off. */
    private static Path writeHuggingFace(Gpt gpt, Path file, boolean transposeConv) throws IOException {
        FlatLayout.Builder hf = FlatLayout.builder();
        for (TensorView v : gpt.parameters().layout().views()) {
            String name = "transformer." + (v.rank() == 2 && v.name().startsWith("w") ? v.name() + ".weight"
                    : v.name());
            if (transposeConv && conv1d(v.name())) {
                hf.add(name, v.dim(1), v.dim(0));
            } else {
                hf.add(name, v.shape());
            }
        }
        FlatLayout layout = hf.build();
        float[] data = new float[layout.size()];
        float[] p = gpt.parameters().data();
        int k = 0;
        for (TensorView v : gpt.parameters().layout().views()) {
            int at = layout.views().get(k++).offset();
            boolean t = transposeConv && conv1d(v.name());
            for (int i = 0; i < v.size(); i++) {
                data[at + (t ? (i % v.dim(1)) * v.dim(0) + i / v.dim(1) : i)] = p[v.offset() + i];
            }
        }
        SafeTensors.write(file, layout, data, Map.of("format", "pt"));
        return file;
    }

    /** llm.c's fp32 checkpoint: 256-int header (magic, version 3, maxT, V, L, NH, C, Vp), then the kinds in order. */
    private static Path writeLlmc(Gpt gpt, Path file, int paddedVocab) throws IOException {
        GptConfig c = gpt.config();
        long floats = c.parameterCount() + (long) (paddedVocab - c.vocabSize()) * c.nEmbd();
        ByteBuffer buf = ByteBuffer.allocate(1024 + (int) floats * 4).order(ByteOrder.LITTLE_ENDIAN);
        int[] header = {GptImporters.LLMC_MODEL_MAGIC, GptImporters.LLMC_MODEL_VERSION, c.blockSize(), c.vocabSize(),
            c.nLayer(), c.nHead(), c.nEmbd(), paddedVocab};
        for (int i = 0; i < header.length; i++) {
            buf.putInt(4 * i, header[i]);
        }
        buf.position(1024);
        FlatLayout l = gpt.parameters().layout();
        float[] p = gpt.parameters().data();
        putView(buf, p, l.view("wte"));
        buf.position(buf.position() + (paddedVocab - c.vocabSize()) * c.nEmbd() * 4);
        putView(buf, p, l.view("wpe"));
        for (String kind : LLMC_KINDS) {
            for (int layer = 0; layer < c.nLayer(); layer++) {
                putView(buf, p, l.view("h." + layer + "." + kind));
            }
        }
        putView(buf, p, l.view("ln_f.weight"));
        putView(buf, p, l.view("ln_f.bias"));
        return Files.write(file, buf.array());
    }

    private static void putView(ByteBuffer buf, float[] p, TensorView v) {
        for (int i = 0; i < v.size(); i++) {
            buf.putFloat(p[v.offset() + i]);
        }
    }

    private String initFrom(Path weights, Path outDir) {
        out.reset();
        Path text = dir.resolve("t.txt");
        int code = run("train", "--data", text.toString(), "--init-from", weights.toString(), "--heads", "2",
                "--block-size", "16", "--batch-size", "2", "--steps", "0", "--final-eval-batches", "2",
                "--threads", "1", "--out", outDir.toString());
        assertEquals(0, code, err.toString());
        return out.toString(StandardCharsets.UTF_8).strip();
    }

    @Test
    void initFromShouldImportHuggingFaceAndLlmcWeightsUnchanged() throws IOException {
        Files.writeString(dir.resolve("t.txt"), TEXT.repeat(40));
        try (Gpt gpt = new Gpt(new GptConfig(16, 16, 2, 2, 16, 0f, true))) {
            gpt.initGpt2(7);
            float[] p = gpt.parameters().data();
            for (int i = 0; i < p.length; i++) {
                p[i] += 0.001f * (i % 13);
            }
            String hf = initFrom(writeHuggingFace(gpt, dir.resolve("gpt2.safetensors"), true), dir.resolve("hf"));
            String llmc = initFrom(writeLlmc(gpt, dir.resolve("gpt2.bin"), 32), dir.resolve("llmc"));
            for (String run : new String[] {"hf", "llmc"}) {
                try (Gpt saved = Checkpoint.load(dir.resolve(run).resolve("model.safetensors")).gpt()) {
                    assertEquals(gpt.config(), saved.config(), run);
                    assertArrayEquals(p, saved.parameters().data(), run);
                }
            }
            String val = "\"val_loss\":";
            assertTrue(hf.startsWith("{" + val), hf);
            assertEquals(hf.substring(0, hf.indexOf(',')), llmc.substring(0, llmc.indexOf(',')));
        }
    }

    @Test
    void initFromShouldRejectMissingTruncatedMisshapenAndTooSmallModelsWithExitTwo() throws IOException {
        Path text = Files.writeString(dir.resolve("t.txt"), TEXT.repeat(40));
        Path outDir = dir.resolve("never");
        String[] common = {"train", "--data", text.toString(), "--heads", "2", "--block-size", "16", "--steps", "1",
            "--threads", "1", "--out", outDir.toString(), "--init-from"};
        assertOneLineUserError("missing.bin", with(common, dir.resolve("missing.bin").toString()));
        try (Gpt gpt = new Gpt(new GptConfig(16, 16, 1, 2, 16, 0f, true));
             Gpt small = new Gpt(new GptConfig(8, 16, 1, 2, 16, 0f, true))) {
            gpt.initGpt2(1);
            small.initGpt2(1);
            Path bin = writeLlmc(gpt, dir.resolve("full.bin"), 16);
            byte[] bytes = Files.readAllBytes(bin);
            Path cut = Files.write(dir.resolve("cut.bin"), Arrays.copyOf(bytes, bytes.length - 100));
            assertOneLineUserError("truncated", with(common, cut.toString()));
            Path untransposed = writeHuggingFace(gpt, dir.resolve("untransposed.safetensors"), false);
            assertOneLineUserError("c_attn.weight has shape [48, 16], expected [16, 48]",
                    with(common, untransposed.toString()));
            Path tooSmall = writeLlmc(small, dir.resolve("small.bin"), 8);
            assertOneLineUserError("vocabulary has 8", with(common, tooSmall.toString()));
        }
        assertFalse(Files.exists(outDir), "a failed run left " + outDir + " behind");
    }

    @Test
    void shouldRejectTokenIdsOutsideTheVocabularyAndTruncatedTokenFiles() throws IOException {
        ByteBuffer tokens = ByteBuffer.allocate(2000).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 1000; i++) {
            tokens.putShort((short) (i % 300));
        }
        Path bin = Files.write(dir.resolve("tokens.bin"), tokens.array());
        assertOneLineUserError("token id 256 at position 256 is outside the vocabulary",
                new String[] {"train", "--data", bin.toString(), "--vocab-size", "256", "--steps", "1"});
        Path odd = Files.write(dir.resolve("odd.bin"), Arrays.copyOf(tokens.array(), 1999));
        assertOneLineUserError("odd number of bytes",
                new String[] {"train", "--data", odd.toString(), "--vocab-size", "512", "--steps", "1"});
    }

    private static String[] with(String[] head, String last) {
        String[] all = Arrays.copyOf(head, head.length + 1);
        all[head.length] = last;
        return all;
    }
}
