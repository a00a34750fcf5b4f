package dev.starling.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.model.data.BatchSampler;
import dev.starling.model.data.ByteTokenizer;
import dev.starling.model.data.CharTokenizer;
import dev.starling.model.data.DataSources;
import dev.starling.model.data.TokenDataset;
import dev.starling.model.data.Tokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataTest {
    @TempDir
    Path dir;

    @Test
    void charTokenizerShouldUseSortedAlphabetAndRoundTrip() {
        CharTokenizer tok = CharTokenizer.fitting("hello world");
        assertEquals(8, tok.vocabSize());
        int[] ids = tok.encode("hello");
        assertEquals(tok.encode(" ")[0], 0);
        assertEquals("hello", tok.decode(ids, 0, ids.length));
        Tokenizer again = Tokenizer.fromSpec(tok.spec());
        assertArrayEquals(ids, again.encode("hello"));
        assertThrows(BadInputException.class, () -> tok.encode("xyz"));
    }

    @Test
    void byteTokenizerShouldRoundTripUtf8() {
        ByteTokenizer tok = new ByteTokenizer();
        int[] ids = tok.encode("héllo");
        assertEquals(6, ids.length);
        assertEquals("héllo", tok.decode(ids, 0, ids.length));
    }

    @Test
    void builtinShakespeareShouldSplitNinetyTen() {
        TokenDataset d = DataSources.load("builtin:tinyshakespeare", "char", 0);
        assertEquals(65, d.vocabSize());
        assertEquals(1_115_394, d.train().length + d.val().length);
        assertEquals(1_003_854, d.train().length);
    }

    @Test
    void shouldReadTextDirectoriesAndBothTokenFileFormats() throws IOException {
        Files.writeString(dir.resolve("b.txt"), "world ".repeat(20));
        Files.writeString(dir.resolve("a.txt"), "hello ".repeat(20));
        TokenDataset text = DataSources.load(dir.toString(), "byte", 0);
        assertEquals('h', text.train()[0]);

        int[] tokens = new int[100];
        for (int i = 0; i < 100; i++) {
            tokens[i] = (i * 7919) % 50257;
        }
        ByteBuffer raw = ByteBuffer.allocate(200).order(ByteOrder.LITTLE_ENDIAN);
        for (int t : tokens) {
            raw.putShort((short) t);
        }
        Path nano = dir.resolve("train.bin");
        Files.write(nano, raw.array());
        TokenDataset d1 = DataSources.load(nano.toString(), "char", 0);
        assertEquals(tokens[0], d1.train()[0]);
        assertEquals(tokens[99], d1.val()[9]);

        ByteBuffer llmc = ByteBuffer.allocate(1024 + 200).order(ByteOrder.LITTLE_ENDIAN);
        llmc.putInt(0, DataSources.LLMC_TOKENS_MAGIC).putInt(4, 1).putInt(8, 100);
        llmc.position(1024);
        llmc.put(raw.array());
        Path llm = dir.resolve("llmc.bin");
        Files.write(llm, llmc.array());
        TokenDataset d2 = DataSources.load(llm.toString(), "char", 0);
        assertArrayEquals(d1.train(), d2.train());
        Files.write(llm, java.util.Arrays.copyOf(llmc.array(), 1100));
        assertThrows(BadInputException.class, () -> DataSources.load(llm.toString(), "char", 0));
        assertThrows(BadInputException.class, () -> DataSources.load(nano.toString(), "char", 1000));
    }

    @Test
    void shouldRejectMissingEmptyAndBinaryFilesWithOneLineMessages() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.txt"));
        Path binary = Files.write(dir.resolve("bin.dat"), new byte[] {1, 0, 2, 3});
        Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'a', (byte) 0xE9, 'b'});
        for (Path p : new Path[] {dir.resolve("missing.txt"), empty, binary, latin1}) {
            BadInputException e = assertThrows(BadInputException.class, () -> DataSources.load(p.toString(), "char",
                    0));
            assertTrue(!e.getMessage().contains("\n") && e.getMessage().contains(p.getFileName().toString()),
                    e.getMessage());
        }
        TokenDataset tiny = DataSources.fromText("abc", "char", "tiny");
        assertThrows(BadInputException.class, () -> tiny.requireWindow(64));
    }

    @Test
    void batchesShouldBeDeterministicShiftedAndSequentialWhenAsked() {
        int[] tokens = new int[1000];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i;
        }
        int[] x1 = new int[2 * 8];
        int[] y1 = new int[2 * 8];
        int[] x2 = new int[2 * 8];
        int[] y2 = new int[2 * 8];
        new BatchSampler(tokens, 2, 8, BatchSampler.Order.RANDOM, 5).next(x1, y1);
        new BatchSampler(tokens, 2, 8, BatchSampler.Order.RANDOM, 5).next(x2, y2);
        assertArrayEquals(x1, x2);
        for (int i = 0; i < x1.length; i++) {
            assertEquals(x1[i] + 1, y1[i]);
        }
        BatchSampler seq = new BatchSampler(tokens, 2, 8, BatchSampler.Order.SEQUENTIAL, 5);
        seq.next(x1, y1);
        assertEquals(0, x1[0]);
        assertEquals(8, x1[8]);
        seq.next(x1, y1);
        assertEquals(16, x1[0]);
        assertEquals(String.class, new String(new byte[0], StandardCharsets.UTF_8).getClass());
    }
}
