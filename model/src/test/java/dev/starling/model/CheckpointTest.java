package dev.starling.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.starling.model.checkpoint.Checkpoint;
import dev.starling.model.checkpoint.GptImporters;
import dev.starling.model.checkpoint.SafeTensors;
import dev.starling.model.data.CharTokenizer;
import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.TensorView;
import dev.starling.tensor.cpu.ParallelFor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    private static final GptConfig CONFIG = new GptConfig(13, 8, 2, 2, 8, 0f, true);

    @TempDir
    Path dir;

    private static float[] logits(Gpt gpt) {
        try (ParallelFor pool = new ParallelFor(1)) {
            Activations a = new Activations(gpt.config(), 1, 6);
            gpt.forward(pool, a, new int[] {1, 2, 3, 4, 5, 12}, null, 6, false, 0);
            return java.util.Arrays.copyOfRange(a.acts, a.logitsOffset(), a.logitsOffset() + 6 * 13);
        }
    }

    private static Gpt model() {
        Gpt gpt = new Gpt(CONFIG);
        gpt.initGpt2(3);
        float[] p = gpt.parameters().data();
        for (int i = 0; i < p.length; i++) {
            p[i] += 0.01f * (i % 7);
        }
        return gpt;
    }

    @Test
    void starlingCheckpointShouldRoundTripConfigWeightsAndTokenizer() throws IOException {
        try (Gpt gpt = model()) {
            Path file = dir.resolve("out/model.safetensors");
            Checkpoint.save(file, gpt, CharTokenizer.fitting("abcdefghijklm"));
            Checkpoint.Loaded loaded = Checkpoint.load(file);
            assertEquals(CONFIG, loaded.gpt().config());
            assertArrayEquals(gpt.parameters().data(), loaded.gpt().parameters().data());
            assertEquals(13, loaded.tokenizer().vocabSize());
            assertArrayEquals(logits(gpt), logits(loaded.gpt()));
        }
    }

    @Test
    void shouldRejectTruncatedAndMismatchedCheckpoints() throws IOException {
        try (Gpt gpt = model()) {
            Path file = dir.resolve("model.safetensors");
            Checkpoint.save(file, gpt, null);
            byte[] bytes = Files.readAllBytes(file);
            Path cut = Files.write(dir.resolve("cut.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length - 10));
            assertThrows(BadInputException.class, () -> Checkpoint.load(cut));
            Path junk = Files.write(dir.resolve("junk.safetensors"), new byte[] {1, 2, 3});
            assertThrows(BadInputException.class, () -> Checkpoint.load(junk));
            FlatLayout.Builder wrong = FlatLayout.builder();
            wrong.add("wte", 13, 4);
            Path bad = dir.resolve("bad.safetensors");
            SafeTensors.write(bad, wrong.build(), new float[52], Map.of("format", "starling-gpt", "vocab_size", "13",
                    "block_size", "8", "n_layer", "2", "n_head", "2", "n_embd", "8", "dropout", "0", "bias", "true"));
            assertThrows(BadInputException.class, () -> Checkpoint.load(bad));
        }
    }

    @Test
    void huggingFaceImporterShouldTransposeConv1dWeights() throws IOException {
        try (Gpt gpt = model()) {
            FlatLayout.Builder hf = FlatLayout.builder();
            for (TensorView v : gpt.parameters().layout().views()) {
                boolean conv = v.name().endsWith("c_attn.weight") || v.name().endsWith("c_proj.weight")
                        || v.name().endsWith("c_fc.weight");
                String name = v.name().equals("wte") || v.name().equals("wpe") ? v.name() + ".weight" : v.name();
                if (conv) {
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
                boolean conv = v.name().endsWith("c_attn.weight") || v.name().endsWith("c_proj.weight")
                        || v.name().endsWith("c_fc.weight");
                int at = layout.views().get(k++).offset();
                for (int i = 0; i < v.size(); i++) {
                    int dst = conv ? (i % v.dim(1)) * v.dim(0) + i / v.dim(1) : i;
                    data[at + dst] = p[v.offset() + i];
                }
            }
            Path file = dir.resolve("hf.safetensors");
            SafeTensors.write(file, layout, data, Map.of("format", "pt"));
            try (Gpt imported = GptImporters.load(file, CONFIG)) {
                assertArrayEquals(p, imported.parameters().data());
            }
        }
    }

    @Test
    void llmcImporterShouldReadVersion3WithPaddedVocab() throws IOException {
        try (Gpt gpt = model()) {
            int vp = 16;
            int c = CONFIG.nEmbd();
            long floats = CONFIG.parameterCount() + (long) (vp - CONFIG.vocabSize()) * c;
            ByteBuffer buf = ByteBuffer.allocate(1024 + (int) floats * 4).order(ByteOrder.LITTLE_ENDIAN);
            int[] header = {GptImporters.LLMC_MODEL_MAGIC, 3, CONFIG.blockSize(), CONFIG.vocabSize(), CONFIG.nLayer(),
                CONFIG.nHead(), c, vp};
            for (int i = 0; i < header.length; i++) {
                buf.putInt(4 * i, header[i]);
            }
            buf.position(1024);
            float[] p = gpt.parameters().data();
            FlatLayout l = gpt.parameters().layout();
            put(buf, p, l.view("wte"));
            for (int i = 0; i < (vp - CONFIG.vocabSize()) * c; i++) {
                buf.putFloat(99f);
            }
            put(buf, p, l.view("wpe"));
            String[] kinds = {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight",
                "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"};
            for (String kind : kinds) {
                for (int layer = 0; layer < CONFIG.nLayer(); layer++) {
                    put(buf, p, l.view("h." + layer + "." + kind));
                }
            }
            put(buf, p, l.view("ln_f.weight"));
            put(buf, p, l.view("ln_f.bias"));
            Path file = Files.write(dir.resolve("gpt2.bin"), buf.array());
            try (Gpt imported = GptImporters.load(file, CONFIG)) {
                assertEquals(CONFIG, imported.config());
                assertArrayEquals(p, imported.parameters().data());
            }
            Path cut = Files.write(dir.resolve("cut.bin"), java.util.Arrays.copyOf(buf.array(), 2000));
            assertThrows(BadInputException.class, () -> GptImporters.load(cut, CONFIG));
        }
    }

    private static void put(ByteBuffer buf, float[] p, TensorView v) {
        for (int i = 0; i < v.size(); i++) {
            buf.putFloat(p[v.offset() + i]);
        }
    }
}
