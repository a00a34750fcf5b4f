package dev.starling.model.data;

import java.nio.charset.StandardCharsets;

/** Byte-level tokens: the UTF-8 bytes of the text, vocabulary 256. Immutable. */
public final class ByteTokenizer implements Tokenizer {
    /** Creates the tokenizer. */
    public ByteTokenizer() {
    }

    @Override
    public int vocabSize() {
        return 256;
    }

    @Override
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            ids[i] = bytes[i] & 0xFF;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids, int from, int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) ids[from + i];
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public String spec() {
        return "byte";
    }
}
