package dev.starling.model.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.starling.model.BadInputException;
import dev.starling.tensor.FlatLayout;
import dev.starling.tensor.TensorView;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range (plus a {@code __metadata__} map of strings), then the raw
 * little-endian data. Writes F32 only; reads F32, F16 and BF16 into floats. Stateless; any thread.
 * Files are written to a temporary name and moved into place, so a crash leaves no half file.
 */
public final class SafeTensors {
    /** The largest header this reader accepts. */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {
    }

    /**
     * One tensor's entry in a file.
     *
     * @param dtype F32, F16 or BF16
     * @param shape dimensions
     * @param begin first byte within the data section
     * @param end   end byte within the data section
     */
    public record Entry(String dtype, int[] shape, long begin, long end) {
        /**
         * Number of elements.
         *
         * @return the product of the shape
         */
        public long size() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /**
     * A file read into memory.
     *
     * @param metadata the {@code __metadata__} strings
     * @param tensors  entries by name, in header order
     * @param data     the data section, little-endian
     */
    public record Contents(Map<String, String> metadata, Map<String, Entry> tensors, ByteBuffer data) {
        /**
         * Copies one tensor into floats.
         *
         * @param name the tensor
         * @param dst  destination
         * @param off  destination offset
         * @throws BadInputException if the tensor is missing
         */
        public void copyTo(String name, float[] dst, int off) {
            Entry e = tensors.get(name);
            if (e == null) {
                throw new BadInputException("checkpoint has no tensor named " + name);
            }
            int n = (int) e.size();
            for (int i = 0; i < n; i++) {
                dst[off + i] = element(e, i);
            }
        }

        /**
         * Reads element {@code i} of a tensor as a float.
         *
         * @param e the entry
         * @param i the flat index
         * @return the value
         */
        public float element(Entry e, long i) {
            int base = (int) e.begin();
            return switch (e.dtype()) {
                case "F32" -> data.getFloat(base + (int) (4 * i));
                case "BF16" -> Float.intBitsToFloat((data.getShort(base + (int) (2 * i)) & 0xFFFF) << 16);
                default -> Float.float16ToFloat(data.getShort(base + (int) (2 * i)));
            };
        }
    }

    /**
     * Writes every tensor of a flat buffer, atomically.
     *
     * @param file     the destination
     * @param layout   the tensors
     * @param data     their values
     * @param metadata string metadata (config, tokenizer)
     * @throws IOException if writing fails (the destination is untouched then)
     */
    public static void write(Path file, FlatLayout layout, float[] data, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long at = 0;
        for (TensorView v : layout.views()) {
            ObjectNode t = header.putObject(v.name());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (int d : v.shape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(at).add(at + 4L * v.size());
            at += 4L * v.size();
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int pad = (8 - json.length % 8) % 8;
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length + pad);
                out.write(len.array());
                out.write(json);
                for (int i = 0; i < pad; i++) {
                    out.write(' ');
                }
                ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (TensorView v : layout.views()) {
                    for (int i = v.offset(); i < v.offset() + v.size(); i++) {
                        if (!chunk.hasRemaining()) {
                            out.write(chunk.array(), 0, chunk.position());
                            chunk.clear();
                        }
                        chunk.putFloat(data[i]);
                    }
                }
                out.write(chunk.array(), 0, chunk.position());
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Reads a whole file.
     *
     * @param file the file
     * @return its contents
     * @throws BadInputException if it is missing, truncated or malformed
     */
    public static Contents read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BadInputException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
        }
        String what = "checkpoint " + file;
        if (bytes.length < 8) {
            throw new BadInputException(what + " is truncated (shorter than 8 bytes); pass a .safetensors file");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = buf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > bytes.length) {
            throw new BadInputException(what + " has a bad header length " + headerLen
                    + "; it is truncated or not a safetensors file");
        }
        JsonNode header;
        try {
            header = JSON.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new BadInputException(what + " has a malformed JSON header; it is not a safetensors file", e);
        }
        ByteBuffer data = buf.slice(8 + (int) headerLen, bytes.length - 8 - (int) headerLen)
                .order(ByteOrder.LITTLE_ENDIAN);
        Map<String, String> metadata = new LinkedHashMap<>();
        Map<String, Entry> tensors = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("__metadata__")) {
                f.getValue().properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            tensors.put(f.getKey(), entry(what, f.getKey(), f.getValue(), data.capacity()));
        }
        return new Contents(metadata, tensors, data);
    }

    private static Entry entry(String what, String name, JsonNode node, long dataBytes) {
        String dtype = node.path("dtype").asText();
        int width = switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new BadInputException(what + ": tensor " + name + " has dtype " + dtype
                    + "; only F32, F16 and BF16 are supported");
        };
        JsonNode shapeNode = node.path("shape");
        int[] shape = new int[shapeNode.size()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asInt();
            n *= shape[i];
        }
        long begin = node.path("data_offsets").path(0).asLong(-1);
        long end = node.path("data_offsets").path(1).asLong(-1);
        if (begin < 0 || end > dataBytes || end - begin != n * width) {
            throw new BadInputException(what + ": tensor " + name + " lies outside the file or does not match its"
                    + " shape; the file is truncated or corrupt");
        }
        return new Entry(dtype, shape, begin, end);
    }
}
