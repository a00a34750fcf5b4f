package dev.starling.protocol.manifest;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Turns a manifest's TOML text into a checked {@link RunManifest}: every value typed and ranged,
 * defaults filled, unknown keys and inconsistent combinations refused, each with a one-line
 * {@link ManifestException}. Stateless and thread-safe.
 */
public final class ManifestParser {
    /** Largest manifest file accepted; manifests are a few hundred bytes. */
    public static final long MAX_MANIFEST_BYTES = 64 * 1024;

    private static final List<String> TABLES = List.of("run", "model", "data", "inner", "outer", "codec",
            "aggregator", "group", "deadlines", "admission");
    private static final TomlMapper TOML = new TomlMapper();

    private ManifestParser() {
    }

    /**
     * Reads and checks a manifest file.
     *
     * @param path the TOML file
     * @return the checked manifest
     * @throws ManifestException if the file is missing, too large, not UTF-8 or not a valid manifest
     */
    public static RunManifest load(Path path) {
        try {
            long size = Files.size(path);
            if (size > MAX_MANIFEST_BYTES) {
                throw new ManifestException("manifest " + path + " is " + size + " bytes; the limit is "
                        + MAX_MANIFEST_BYTES + " (is this the right file?)");
            }
            byte[] bytes = Files.readAllBytes(path);
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return parse(text);
        } catch (NoSuchFileException e) {
            throw new ManifestException("manifest " + path + " does not exist; pass the path of a .toml manifest", e);
        } catch (CharacterCodingException e) {
            throw new ManifestException("manifest " + path + " is not UTF-8 text; pass a .toml manifest", e);
        } catch (IOException e) {
            throw new ManifestException("cannot read manifest " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Parses and checks manifest text.
     *
     * @param toml the manifest's TOML text
     * @return the checked manifest
     * @throws ManifestException if the text is not a valid manifest
     */
    public static RunManifest parse(String toml) {
        JsonNode root;
        try {
            root = TOML.readTree(toml);
        } catch (JacksonException e) {
            String detail = e.getOriginalMessage() == null ? e.getMessage() : e.getOriginalMessage();
            throw new ManifestException("manifest is not valid TOML: " + detail.lines().findFirst().orElse(""), e);
        }
        root.fieldNames().forEachRemaining(table -> {
            if (!TABLES.contains(table)) {
                throw new ManifestException("manifest: unknown table [" + table + "]; allowed: "
                        + String.join(", ", TABLES));
            }
        });
        TomlTable run = new TomlTable("run", root.get("run"));
        String name = run.string("name", "starling-run");
        long seed = run.longValue("seed", 1337, 0, Long.MAX_VALUE);
        run.finish();
        RunManifest manifest = new RunManifest(name, seed, model(root), data(root), inner(root), outer(root),
                codec(root), aggregator(root), group(root), deadlines(root), admission(root));
        return ManifestRules.check(manifest);
    }

    private static RunManifest.Model model(JsonNode root) {
        TomlTable t = new TomlTable("model", root.get("model"));
        RunManifest.Model model = new RunManifest.Model(t.integer("layers", 4, 1, 256), t.integer("heads", 4, 1, 256),
                t.integer("channels", 128, 1, 16384), t.integer("block_size", 64, 1, 65536), t.bool("bias", false),
                t.real("dropout", 0.0, 0.0, 0.95), t.integer("stages", 1, 1, 256));
        t.finish();
        return model;
    }

    private static RunManifest.Data data(JsonNode root) {
        TomlTable t = new TomlTable("data", root.get("data"));
        RunManifest.Data data = new RunManifest.Data(t.string("source", "builtin:tinyshakespeare"),
                t.choice("tokenizer", "char", List.of("char", "byte")), t.integer("batch_size", 12, 1, 65536));
        t.finish();
        return data;
    }

    private static RunManifest.Inner inner(JsonNode root) {
        TomlTable t = new TomlTable("inner", root.get("inner"));
        RunManifest.Inner inner = new RunManifest.Inner(t.integer("steps", 100, 1, 1_000_000),
                t.real("lr", 1e-3, 0.0, 10.0), t.real("min_lr", 1e-4, 0.0, 10.0), t.integer("warmup_steps", 100, 0,
                10_000_000), t.real("beta1", 0.9, 0.0, 0.999999), t.real("beta2", 0.99, 0.0, 0.999999),
                t.real("weight_decay", 0.1, 0.0, 10.0), t.real("grad_clip", 1.0, 0.0, 1e6),
                t.real("seconds", 0.0, 0.0, 1e6));
        t.finish();
        return inner;
    }

    private static RunManifest.Outer outer(JsonNode root) {
        TomlTable t = new TomlTable("outer", root.get("outer"));
        RunManifest.Outer outer = new RunManifest.Outer(t.choice("optimizer", "nesterov", List.of("nesterov", "co2")),
                t.real("lr", 0.7, 0.0, 10.0), t.real("momentum", 0.9, 0.0, 0.999999),
                t.real("staleness_penalty", 0.0, 0.0, 10.0), t.real("momentum_clip", 0.0, 0.0, 1e9));
        t.finish();
        return outer;
    }

    private static RunManifest.Codec codec(JsonNode root) {
        TomlTable t = new TomlTable("codec", root.get("codec"));
        RunManifest.Codec codec = new RunManifest.Codec(
                t.choice("name", "int8", List.of("fp32", "fp16", "bf16", "int8", "int4", "topk")),
                t.integer("block_size", 64, 2, 1 << 20), t.real("topk_fraction", 0.01, 1e-6, 1.0),
                t.bool("error_feedback", true));
        t.finish();
        return codec;
    }

    private static RunManifest.Aggregator aggregator(JsonNode root) {
        TomlTable t = new TomlTable("aggregator", root.get("aggregator"));
        RunManifest.Aggregator aggregator = new RunManifest.Aggregator(t.choice("name", "centered-clip",
                List.of("mean", "median", "trimmed-mean", "krum", "centered-clip")), t.real("tau", 1.0, 1e-9, 1e9),
                t.integer("iterations", 3, 1, 1000), t.real("trim", 0.2, 0.0, 0.49));
        t.finish();
        return aggregator;
    }

    private static RunManifest.Group group(JsonNode root) {
        TomlTable t = new TomlTable("group", root.get("group"));
        RunManifest.Group group = new RunManifest.Group(t.integer("min_size", 2, 1, 4096),
                t.integer("max_size", 16, 1, 4096));
        t.finish();
        return group;
    }

    private static RunManifest.Deadlines deadlines(JsonNode root) {
        TomlTable t = new TomlTable("deadlines", root.get("deadlines"));
        RunManifest.Deadlines deadlines = new RunManifest.Deadlines(t.integer("round_max_s", 600, 1, 86_400),
                t.integer("matchmaking_s", 60, 1, 86_400));
        t.finish();
        return deadlines;
    }

    private static RunManifest.Admission admission(JsonNode root) {
        TomlTable t = new TomlTable("admission", root.get("admission"));
        RunManifest.Admission admission = new RunManifest.Admission(
                t.choice("policy", "open", List.of("open", "allowlist", "token")), t.strings("allowlist"),
                t.integer("max_peers_per_host", 0, 0, 1_000_000));
        t.finish();
        return admission;
    }
}
