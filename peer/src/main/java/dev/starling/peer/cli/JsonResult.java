package dev.starling.peer.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.Map;

/**
 * The convention of every {@code bench} and {@code experiment} subcommand: progress for people
 * goes to stderr, and the result is one final JSON object on one line of stdout, so that
 * scripts can read it with {@code tail -n 1}. Called from the command's thread.
 */
public final class JsonResult {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonResult() {
    }

    /**
     * Formats {@code fields} as a one-line JSON object, keeping their iteration order.
     *
     * @param fields names and values (numbers, strings, booleans, lists, nested maps)
     * @return the JSON text, without a line break
     */
    public static String format(Map<String, ?> fields) {
        try {
            return MAPPER.writeValueAsString(fields);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write result as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Prints {@code fields} as the final JSON line on {@code out} and flushes it.
     *
     * @param out    normally {@code System.out}
     * @param fields names and values, in the order they should appear
     */
    public static void print(PrintStream out, Map<String, ?> fields) {
        out.println(format(fields));
        out.flush();
    }
}
