package dev.starling.peer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ExperimentCheckfreeCommandTest {
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return StarlingCommand.commandLine(new PrintWriter(err, true)).execute(args);
    }

    @Test
    void shouldRejectARateOutsideZeroToHundredInOneLine() {
        assertEquals(2, run("experiment", "checkfree", "--rates", "5,150"));
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
        assertTrue(err.toString().contains("--rates"), err.toString());
    }

    @Test
    void shouldNameTheMissingDataFile() {
        assertEquals(2, run("experiment", "checkfree", "--data", "/no/such/file.txt"));
        assertTrue(err.toString().contains("/no/such/file.txt"), err.toString());
    }

    @Test
    void shouldRejectAnUnknownTransportOrLinkInOneLine() {
        assertEquals(2, run("experiment", "checkfree", "--data", "builtin:tinyshakespeare", "--transport", "carrier"));
        assertTrue(err.toString().contains("--transport is p2p or inprocess"), err.toString());
        assertEquals(2, run("experiment", "checkfree", "--data", "builtin:tinyshakespeare", "--link", "fast"));
        assertTrue(err.toString().contains("--link"), err.toString());
        assertEquals(2, err.toString().strip().lines().count(), err.toString());
    }
}
