package dev.starling.p2p.codec;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Builds one protobuf message by hand into a byte array, for codecs that write fields directly
 * (gossipsub RPCs, DHT messages). Stateless; any thread.
 */
public final class ProtobufWriter {
    private ProtobufWriter() {
    }

    /** Writes the fields of one message. */
    @FunctionalInterface
    public interface Fields {
        /**
         * Writes the fields.
         *
         * @param out the output
         * @throws IOException never in practice (the output is in memory)
         */
        void write(CodedOutputStream out) throws IOException;
    }

    /**
     * Runs {@code fields} into a fresh buffer.
     *
     * @param fields what to write
     * @return the encoded message
     */
    public static byte[] write(Fields fields) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            fields.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
