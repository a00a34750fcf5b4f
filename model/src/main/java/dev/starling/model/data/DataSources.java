package dev.starling.model.data;

import dev.starling.model.BadInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Loads a {@link TokenDataset} from what a user points at: a UTF-8 text file, a directory of text
 * files (read in name order and joined), a raw little-endian uint16 token file (nanoGPT's
 * {@code .bin}), an llm.c token file (256 int32 header, magic 20240520), or the built-in tiny
 * Shakespeare. Stateless; any thread. Failures are {@link BadInputException}s with one-line fixes.
 */
public final class DataSources {
    /** Magic number of llm.c's token files. */
    public static final int LLMC_TOKENS_MAGIC = 20240520;
    /** Name of the built-in dataset. */
    public static final String BUILTIN = "tinyshakespeare";
    private static final int HEADER_INTS = 256;
    private static final long MAX_FILE_BYTES = 1L << 31;

    private DataSources() {
    }

    /**
     * Loads a dataset.
     *
     * @param path      a file or directory, or {@code "builtin:tinyshakespeare"}
     * @param tokenizer {@code "char"} or {@code "byte"} for text (ignored for token files)
     * @param vocabSize vocabulary of token files; 0 means GPT-2's 50257
     * @return the dataset
     * @throws BadInputException if the path is missing, empty, binary or malformed
     */
    public static TokenDataset load(String path, String tokenizer, int vocabSize) {
        if (path.equals("builtin:" + BUILTIN)) {
            return fromText(builtinText(), tokenizer, "built-in " + BUILTIN);
        }
        Path p = Path.of(path);
        if (!Files.exists(p)) {
            throw new BadInputException("data path " + path + " does not exist; pass a text file, a directory of text"
                    + " files or a .bin token file");
        }
        try {
            if (Files.isDirectory(p)) {
                return fromText(readDirectory(p), tokenizer, path);
            }
            long size = Files.size(p);
            if (size == 0) {
                throw new BadInputException("data file " + path + " is empty; pass a file with text or tokens");
            }
            if (size > MAX_FILE_BYTES) {
                throw new BadInputException("data file " + path + " is larger than 2 GiB; split it into smaller files");
            }
            byte[] bytes = Files.readAllBytes(p);
            if (path.endsWith(".bin")) {
                int vocab = vocabSize > 0 ? vocabSize : 50257;
                return TokenDataset.split(readTokens(bytes, path), vocab, null, path);
            }
            return fromText(decodeText(bytes, path), tokenizer, path);
        } catch (IOException e) {
            throw new BadInputException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * The built-in corpus: tiny Shakespeare (public domain), shipped gzipped in this module.
     *
     * @return the text
     */
    public static String builtinText() {
        try (InputStream in = DataSources.class.getResourceAsStream("/dev/starling/model/tinyshakespeare.txt.gz")) {
            if (in == null) {
                throw new IllegalStateException("built-in dataset resource is missing from the jar");
            }
            return new String(new GZIPInputStream(in).readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in dataset", e);
        }
    }

    /**
     * Tokenises text.
     *
     * @param text      the corpus
     * @param tokenizer {@code "char"} or {@code "byte"}
     * @param source    where it came from
     * @return the dataset
     */
    public static TokenDataset fromText(String text, String tokenizer, String source) {
        if (text.isEmpty()) {
            throw new BadInputException(source + " has no text; pass a non-empty file");
        }
        Tokenizer tok = switch (tokenizer) {
            case "char" -> CharTokenizer.fitting(text);
            case "byte" -> new ByteTokenizer();
            default -> throw new BadInputException("unknown tokenizer '" + tokenizer + "'; use char or byte");
        };
        return TokenDataset.split(tok.encode(text), tok.vocabSize(), tok, source);
    }

    private static String readDirectory(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted().toList();
        }
        if (files.isEmpty()) {
            throw new BadInputException("directory " + dir + " has no files; put text files in it");
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long total = 0;
        for (Path f : files) {
            total += Files.size(f);
            if (total > MAX_FILE_BYTES) {
                throw new BadInputException("directory " + dir + " holds more than 2 GiB of text; use fewer files");
            }
            all.write(Files.readAllBytes(f));
        }
        return decodeText(all.toByteArray(), dir.toString());
    }

    private static String decodeText(byte[] bytes, String source) {
        for (int i = 0; i < Math.min(bytes.length, 65536); i++) {
            if (bytes[i] == 0) {
                throw new BadInputException(source + " looks binary (it has NUL bytes); pass UTF-8 text, or a token"
                        + " file named *.bin");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new BadInputException(source + " is not valid UTF-8 text; convert it to UTF-8 or pass a .bin token"
                    + " file", e);
        }
    }

    /**
     * Parses a token file: llm.c's format if it starts with its magic, else raw uint16.
     *
     * @param bytes  the file
     * @param source its name
     * @return the tokens
     */
    static int[] readTokens(byte[] bytes, String source) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length >= 4 && buf.getInt(0) == LLMC_TOKENS_MAGIC) {
            if (bytes.length < HEADER_INTS * 4) {
                throw new BadInputException(source + ": llm.c token file is truncated inside its 1024-byte header");
            }
            int version = buf.getInt(4);
            long count = Integer.toUnsignedLong(buf.getInt(8));
            if (version != 1) {
                throw new BadInputException(source + ": llm.c token file version " + version
                        + " is not supported; expected 1 (uint16 tokens)");
            }
            if (bytes.length != HEADER_INTS * 4 + count * 2) {
                throw new BadInputException(source + ": llm.c header says " + count + " tokens but the file has "
                        + (bytes.length - HEADER_INTS * 4) / 2 + "; the file is truncated or corrupt");
            }
            return uint16(buf, HEADER_INTS * 4, (int) count);
        }
        if (bytes.length % 2 != 0) {
            throw new BadInputException(source + " has an odd number of bytes, so it is not a uint16 token file");
        }
        return uint16(buf, 0, bytes.length / 2);
    }

    private static int[] uint16(ByteBuffer buf, int from, int count) {
        int[] tokens = new int[count];
        for (int i = 0; i < count; i++) {
            tokens[i] = buf.getShort(from + 2 * i) & 0xFFFF;
        }
        return tokens;
    }
}
