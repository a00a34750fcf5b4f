package dev.starling.peer.cli;

import dev.starling.model.BadInputException;
import dev.starling.model.Gpt;
import dev.starling.model.Sampler;
import dev.starling.model.checkpoint.Checkpoint;
import dev.starling.model.data.Tokenizer;
import dev.starling.tensor.cpu.ParallelFor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling sample}: loads a checkpoint written by {@code starling train --out} and prints the
 * prompt followed by generated text on stdout. Runs on the calling thread plus {@code --threads}.
 */
@Command(name = "sample", mixinStandardHelpOptions = true,
        description = "Generate text from a checkpoint written by 'starling train --out'.")
public final class SampleCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "model.safetensors from 'starling train --out'")
    private Path checkpoint;
    @Option(names = "--prompt", defaultValue = "\n", description = "text to continue")
    private String prompt;
    @Option(names = "--tokens", defaultValue = "300", description = "how many tokens to generate")
    private int tokens;
    @Option(names = "--temperature", defaultValue = "0.8")
    private float temperature;
    @Option(names = "--top-k", defaultValue = "200")
    private int topK;
    @Option(names = "--seed", defaultValue = "1337")
    private long seed;
    @Option(names = "--threads", defaultValue = "1")
    private int threads;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(checkpoint)) {
            throw new UserError("checkpoint " + checkpoint + " does not exist; pass the model.safetensors that"
                    + " 'starling train --out DIR' wrote");
        }
        if (tokens < 0 || !(temperature > 0f) || threads < 1 || prompt.isEmpty()) {
            throw new UserError("need --tokens >= 0, --temperature > 0, --threads >= 1 and a non-empty --prompt");
        }
        Checkpoint.Loaded loaded;
        try {
            loaded = Checkpoint.load(checkpoint);
        } catch (BadInputException e) {
            throw new UserError(e.getMessage(), e);
        }
        Tokenizer tok = loaded.tokenizer();
        if (tok == null) {
            throw new UserError("checkpoint " + checkpoint + " records no tokenizer, so text cannot be encoded");
        }
        try (Gpt gpt = loaded.gpt(); ParallelFor pool = new ParallelFor(threads)) {
            int[] ids = tok.encode(prompt);
            int[] out = new Sampler(gpt, seed).generate(pool, ids, tokens, temperature, topK);
            System.out.println(tok.decode(out, 0, out.length));
            System.out.flush();
        } catch (BadInputException e) {
            throw new UserError(e.getMessage(), e);
        }
        return 0;
    }
}
