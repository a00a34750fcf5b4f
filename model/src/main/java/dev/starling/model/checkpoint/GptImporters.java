package dev.starling.model.checkpoint;

import dev.starling.model.BadInputException;
import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.tensor.TensorView;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Starts a {@link Gpt} from weights made elsewhere: a Starling checkpoint, a Hugging Face GPT-2
 * {@code model.safetensors} (whose Conv1D weights are stored {@code (in,out)} and are transposed
 * here), or an llm.c checkpoint ({@code gpt2_124M.bin}: 256 int32 header, magic 20240326,
 * version 3, fp32, vocabulary padded to Vp rows). The model's shape comes from the file; only the
 * dropout and the head count of HF files (which do not record it) come from {@code requested}.
 * Stateless; any thread.
 */
public final class GptImporters {
    /** Magic number of llm.c's model checkpoints. */
    public static final int LLMC_MODEL_MAGIC = 20240326;
    /** The fp32 llm.c checkpoint version. */
    public static final int LLMC_MODEL_VERSION = 3;
    private static final int HEADER_INTS = 256;

    private GptImporters() {
    }

    /**
     * Loads weights, detecting the format from the file.
     *
     * @param file      the weights
     * @param requested dropout and (for HF files) head count to use
     * @return a new model, owned by the caller
     * @throws BadInputException for a missing, truncated or unrecognised file
     */
    public static Gpt load(Path file, GptConfig requested) {
        if (file.toString().endsWith(".bin")) {
            return loadLlmc(file, requested.dropout());
        }
        SafeTensors.Contents contents = SafeTensors.read(file);
        if ("starling-gpt".equals(contents.metadata().get("format"))) {
            return Checkpoint.load(file).gpt();
        }
        return loadHuggingFace(file, contents, requested);
    }

    private static Gpt loadHuggingFace(Path file, SafeTensors.Contents contents, GptConfig requested) {
        String prefix = contents.tensors().containsKey("transformer.wte.weight") ? "transformer." : "";
        SafeTensors.Entry wte = contents.tensors().get(prefix + "wte.weight");
        SafeTensors.Entry wpe = contents.tensors().get(prefix + "wpe.weight");
        if (wte == null || wpe == null) {
            throw new BadInputException(file + " has no wte.weight/wpe.weight; it is not a GPT-2 safetensors file");
        }
        int layers = 0;
        while (contents.tensors().containsKey(prefix + "h." + layers + ".ln_1.weight")) {
            layers++;
        }
        boolean bias = contents.tensors().containsKey(prefix + "h.0.ln_1.bias");
        GptConfig config = new GptConfig(wte.shape()[0], wpe.shape()[0], layers, requested.nHead(), wte.shape()[1],
                requested.dropout(), bias);
        Gpt gpt = new Gpt(config);
        float[] p = gpt.parameters().data();
        for (TensorView v : gpt.parameters().layout().views()) {
            String name = prefix + (v.rank() == 2 && (v.name().equals("wte") || v.name().equals("wpe"))
                    ? v.name() + ".weight" : v.name());
            SafeTensors.Entry e = contents.tensors().get(name);
            boolean conv1d = v.name().endsWith("c_attn.weight") || v.name().endsWith("c_proj.weight")
                    || v.name().endsWith("c_fc.weight");
            int[] expected = conv1d ? new int[] {v.dim(1), v.dim(0)} : v.shape();
            if (e == null || !Arrays.equals(e.shape(), expected)) {
                gpt.close();
                throw new BadInputException(file + ": tensor " + name + " has shape "
                        + (e == null ? "(missing)" : Arrays.toString(e.shape())) + ", expected "
                        + Arrays.toString(expected) + " for a GPT-2 with " + config.nEmbd() + " channels");
            }
            if (!conv1d) {
                contents.copyTo(name, p, v.offset());
                continue;
            }
            int rows = v.dim(0);
            int cols = v.dim(1);
            for (int i = 0; i < cols; i++) {
                for (int j = 0; j < rows; j++) {
                    p[v.offset() + j * cols + i] = contents.element(e, (long) i * rows + j);
                }
            }
        }
        return gpt;
    }

    private static Gpt loadLlmc(Path file, float dropout) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate(HEADER_INTS * 4).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.size() < header.capacity()) {
                throw new BadInputException(file + " is truncated inside the llm.c 1024-byte header");
            }
            ch.read(header, 0);
            if (header.getInt(0) != LLMC_MODEL_MAGIC || header.getInt(4) != LLMC_MODEL_VERSION) {
                throw new BadInputException(file + " is not an fp32 llm.c checkpoint (want magic " + LLMC_MODEL_MAGIC
                        + " version " + LLMC_MODEL_VERSION + ", got " + header.getInt(0) + " v" + header.getInt(4)
                        + ")");
            }
            int maxT = header.getInt(8);
            int v = header.getInt(12);
            int l = header.getInt(16);
            int nh = header.getInt(20);
            int c = header.getInt(24);
            int vp = header.getInt(28);
            GptConfig config;
            try {
                config = new GptConfig(v, maxT, l, nh, c, dropout, true);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(file + ": llm.c header has an invalid shape: " + e.getMessage(), e);
            }
            if (vp < v) {
                throw new BadInputException(file + ": padded vocabulary " + vp + " is smaller than vocabulary " + v);
            }
            long floats = config.parameterCount() + (long) (vp - v) * c;
            if (ch.size() != HEADER_INTS * 4L + floats * 4) {
                throw new BadInputException(file + " has " + ch.size() + " bytes but its header implies "
                        + (HEADER_INTS * 4L + floats * 4) + "; the file is truncated or corrupt");
            }
            ByteBuffer body = ByteBuffer.allocate((int) Math.min(Integer.MAX_VALUE - 8, floats * 4))
                    .order(ByteOrder.LITTLE_ENDIAN);
            ch.read(body, HEADER_INTS * 4L);
            body.flip();
            Gpt gpt = new Gpt(config);
            fillLlmc(gpt, body.asFloatBuffer(), vp);
            return gpt;
        } catch (IOException e) {
            throw new BadInputException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** llm.c stores each parameter kind for all layers together: ln1w (L,C), ln1b (L,C), qkvw (L,3C,C), ... */
    private static void fillLlmc(Gpt gpt, java.nio.FloatBuffer src, int vp) {
        GptConfig cfg = gpt.config();
        float[] p = gpt.parameters().data();
        var layout = gpt.parameters().layout();
        int c = cfg.nEmbd();
        src.get(p, layout.view("wte").offset(), cfg.vocabSize() * c);
        src.position(src.position() + (vp - cfg.vocabSize()) * c);
        src.get(p, layout.view("wpe").offset(), cfg.blockSize() * c);
        String[] kinds = {"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
            "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight",
            "mlp.c_proj.bias"};
        for (String kind : kinds) {
            for (int l = 0; l < cfg.nLayer(); l++) {
                TensorView v = layout.view("h." + l + "." + kind);
                src.get(p, v.offset(), v.size());
            }
        }
        src.get(p, layout.view("ln_f.weight").offset(), c);
        src.get(p, layout.view("ln_f.bias").offset(), c);
    }
}
