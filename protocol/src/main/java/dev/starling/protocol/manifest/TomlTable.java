package dev.starling.protocol.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads one TOML table of the manifest with defaults, type checks and range checks, and rejects
 * keys nobody read (a misspelt key must not silently fall back to its default). Every failure is
 * a {@link ManifestException} whose message names {@code [table] key}. Not thread-safe; used
 * once by the parser.
 */
final class TomlTable {
    private final String name;
    private final ObjectNode node;
    private final Set<String> read = new HashSet<>();

    TomlTable(String name, JsonNode node) {
        this.name = name;
        if (node == null || node.isMissingNode() || node.isNull()) {
            this.node = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        } else if (node instanceof ObjectNode object) {
            this.node = object;
        } else {
            throw new ManifestException("manifest: [" + name + "] must be a table, got " + node.getNodeType());
        }
    }

    private JsonNode value(String key) {
        read.add(key);
        JsonNode value = node.get(key);
        return value == null || value.isNull() ? null : value;
    }

    private String where(String key) {
        return "manifest: [" + name + "] " + key;
    }

    int integer(String key, int fallback, int min, int max) {
        JsonNode value = value(key);
        if (value == null) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw new ManifestException(where(key) + " must be a whole number, got " + value);
        }
        int v = value.intValue();
        if (v < min || v > max) {
            throw new ManifestException(where(key) + " must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    long longValue(String key, long fallback, long min, long max) {
        JsonNode value = value(key);
        if (value == null) {
            return fallback;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new ManifestException(where(key) + " must be a whole number, got " + value);
        }
        long v = value.longValue();
        if (v < min || v > max) {
            throw new ManifestException(where(key) + " must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    double real(String key, double fallback, double min, double max) {
        JsonNode value = value(key);
        if (value == null) {
            return fallback;
        }
        if (!value.isNumber()) {
            throw new ManifestException(where(key) + " must be a number, got " + value);
        }
        double v = value.doubleValue();
        if (!(v >= min && v <= max)) {
            throw new ManifestException(where(key) + " must be between " + min + " and " + max + ", got " + v);
        }
        return v;
    }

    boolean bool(String key, boolean fallback) {
        JsonNode value = value(key);
        if (value == null) {
            return fallback;
        }
        if (!value.isBoolean()) {
            throw new ManifestException(where(key) + " must be true or false, got " + value);
        }
        return value.booleanValue();
    }

    String string(String key, String fallback) {
        JsonNode value = value(key);
        if (value == null) {
            return fallback;
        }
        if (!value.isTextual() || value.textValue().isBlank()) {
            throw new ManifestException(where(key) + " must be a non-empty string, got " + value);
        }
        return value.textValue();
    }

    String choice(String key, String fallback, List<String> allowed) {
        String v = string(key, fallback).toLowerCase(Locale.ROOT);
        if (!allowed.contains(v)) {
            throw new ManifestException(where(key) + " must be one of " + String.join(", ", allowed)
                    + ", got \"" + v + "\"");
        }
        return v;
    }

    List<String> strings(String key) {
        JsonNode value = value(key);
        List<String> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        if (!value.isArray()) {
            throw new ManifestException(where(key) + " must be a list of strings, got " + value);
        }
        for (JsonNode item : value) {
            if (!item.isTextual()) {
                throw new ManifestException(where(key) + " must hold only strings, got " + item);
            }
            out.add(item.textValue());
        }
        return List.copyOf(out);
    }

    /** Rejects any key that no accessor asked for. */
    void finish() {
        for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
            String key = keys.next();
            if (!read.contains(key)) {
                throw new ManifestException("manifest: unknown key [" + name + "] " + key
                        + "; allowed: " + String.join(", ", read.stream().sorted().toList()));
            }
        }
    }
}
