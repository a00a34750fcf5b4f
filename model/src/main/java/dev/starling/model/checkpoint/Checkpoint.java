package dev.starling.model.checkpoint;

import dev.starling.model.BadInputException;
import dev.starling.model.Gpt;
import dev.starling.model.GptConfig;
import dev.starling.model.data.Tokenizer;
import dev.starling.tensor.TensorView;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Starling model checkpoint: the GPT's parameters in safetensors with Hugging Face GPT-2 names
 * and PyTorch {@code (out,in)} weight layout, and in the metadata the {@link GptConfig} fields and
 * the tokenizer spec. Stateless; any thread.
 */
public final class Checkpoint {
    private Checkpoint() {
    }

    /**
     * A loaded checkpoint.
     *
     * @param gpt       the model, owned by the caller
     * @param tokenizer its tokenizer, or null if the checkpoint names none
     */
    public record Loaded(Gpt gpt, Tokenizer tokenizer) {
    }

    /**
     * Saves a model atomically.
     *
     * @param file      the destination (.safetensors)
     * @param gpt       the model
     * @param tokenizer its tokenizer, or null
     * @throws IOException if the file cannot be written
     */
    public static void save(Path file, Gpt gpt, Tokenizer tokenizer) throws IOException {
        GptConfig c = gpt.config();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "starling-gpt");
        meta.put("vocab_size", Integer.toString(c.vocabSize()));
        meta.put("block_size", Integer.toString(c.blockSize()));
        meta.put("n_layer", Integer.toString(c.nLayer()));
        meta.put("n_head", Integer.toString(c.nHead()));
        meta.put("n_embd", Integer.toString(c.nEmbd()));
        meta.put("dropout", Float.toString(c.dropout()));
        meta.put("bias", Boolean.toString(c.bias()));
        if (tokenizer != null) {
            meta.put("tokenizer", tokenizer.spec());
        }
        SafeTensors.write(file, gpt.parameters().layout(), gpt.parameters().data(), meta);
    }

    /**
     * Loads a checkpoint written by {@link #save}.
     *
     * @param file the checkpoint
     * @return the model and tokenizer
     * @throws BadInputException if it is missing, truncated, or its tensors do not match its config
     */
    public static Loaded load(Path file) {
        SafeTensors.Contents contents = SafeTensors.read(file);
        Map<String, String> m = contents.metadata();
        GptConfig config;
        try {
            config = new GptConfig(Integer.parseInt(m.get("vocab_size")), Integer.parseInt(m.get("block_size")),
                    Integer.parseInt(m.get("n_layer")), Integer.parseInt(m.get("n_head")),
                    Integer.parseInt(m.get("n_embd")), Float.parseFloat(m.get("dropout")),
                    Boolean.parseBoolean(m.get("bias")));
        } catch (RuntimeException e) {
            throw new BadInputException("checkpoint " + file + " has no valid GPT config in its metadata; was it"
                    + " written by 'starling train --out'?", e);
        }
        Gpt gpt = new Gpt(config);
        float[] p = gpt.parameters().data();
        for (TensorView v : gpt.parameters().layout().views()) {
            SafeTensors.Entry e = contents.tensors().get(v.name());
            if (e == null || !Arrays.equals(e.shape(), v.shape())) {
                gpt.close();
                throw new BadInputException("checkpoint " + file + ": tensor " + v.name() + " has shape "
                        + (e == null ? "(missing)" : Arrays.toString(e.shape())) + ", its config needs "
                        + Arrays.toString(v.shape()));
            }
            contents.copyTo(v.name(), p, v.offset());
        }
        String spec = m.get("tokenizer");
        return new Loaded(gpt, spec == null ? null : Tokenizer.fromSpec(spec));
    }
}
