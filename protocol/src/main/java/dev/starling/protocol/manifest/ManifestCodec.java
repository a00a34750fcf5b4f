package dev.starling.protocol.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The canonical form of a manifest and the run id derived from it. The canonical bytes are the
 * checked record written as compact JSON with keys in alphabetical order at every level, so
 * formatting, comments and key order in the owner's TOML do not change the run id, while any
 * value that matters does. Stateless and thread-safe.
 */
public final class ManifestCodec {
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .build();

    private ManifestCodec() {
    }

    /**
     * The bytes that are hashed and signed.
     *
     * @param manifest a checked manifest
     * @return UTF-8 JSON, keys sorted, no whitespace
     */
    public static byte[] canonicalBytes(RunManifest manifest) {
        try {
            return CANONICAL.writeValueAsBytes(manifest);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write manifest canonically", e);
        }
    }

    /**
     * The run id: the SHA-256 of the canonical bytes, as 64 lowercase hex digits.
     *
     * @param manifest a checked manifest
     * @return the run id
     */
    public static String runId(RunManifest manifest) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonicalBytes(manifest));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
