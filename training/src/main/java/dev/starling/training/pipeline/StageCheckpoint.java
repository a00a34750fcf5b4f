package dev.starling.training.pipeline;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checkpoint-restart's local checkpoint of one stage peer: its parameters and AdamW moments, raw float32, to one file.
 * Stateless; call on the thread that owns the worker.
 */
public final class StageCheckpoint {
    private StageCheckpoint() {
    }

    /**
     * Writes a stage's parameters and optimizer moments.
     *
     * @param worker the stage
     * @param file   the checkpoint file (its directory is created)
     * @throws UncheckedIOException when it cannot be written
     */
    public static void save(StageWorker worker, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file),
                    1 << 16))) {
                writeFloats(out, worker.stage().parameters().data());
                writeFloats(out, worker.optimizer().firstMoment().data());
                writeFloats(out, worker.optimizer().secondMoment().data());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a checkpoint to " + file, e);
        }
    }

    /**
     * Restores a stage from {@link #save}; pending gradients are dropped.
     *
     * @param worker the stage (same shape as the one saved)
     * @param file   the checkpoint file
     * @throws UncheckedIOException when it cannot be read
     */
    public static void load(StageWorker worker, Path file) {
        worker.resetOptimizer();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            readFloats(in, worker.stage().parameters().data());
            readFloats(in, worker.optimizer().firstMoment().data());
            readFloats(in, worker.optimizer().secondMoment().data());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a checkpoint from " + file, e);
        }
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(a.length * 4);
        b.asFloatBuffer().put(a);
        out.write(b.array());
    }

    private static void readFloats(DataInputStream in, float[] a) throws IOException {
        byte[] bytes = new byte[a.length * 4];
        in.readFully(bytes);
        ByteBuffer.wrap(bytes).asFloatBuffer().get(a);
    }
}
