package dev.starling.protocol.telemetry;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Encodes telemetry as one JSON object with a {@code "type"} field, and decodes what remote peers
 * gossip under a size cap, refusing anything malformed with {@link BadTelemetryException}.
 * Stateless and thread-safe.
 */
public final class TelemetryCodec {
    /** Largest telemetry message accepted, checked before parsing. */
    public static final int MAX_MESSAGE_BYTES = 8 * 1024;
    /** Longest string field accepted (peer ids, hashes, details). */
    public static final int MAX_STRING_CHARS = 512;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(MAX_STRING_CHARS).maxNestingDepth(4).maxNumberLength(64).build());
    }

    private TelemetryCodec() {
    }

    /**
     * Encodes a message.
     *
     * @param message the message
     * @return UTF-8 JSON bytes
     */
    public static byte[] encode(TelemetryMessage message) {
        ObjectNode node = JSON.valueToTree(message);
        node.put("type", typeOf(message));
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot encode telemetry", e);
        }
    }

    /**
     * Decodes a message from a remote peer.
     *
     * @param bytes the message bytes
     * @return the message
     * @throws BadTelemetryException if it is too large, not JSON, of an unknown type or has bad fields
     */
    public static TelemetryMessage decode(byte[] bytes) {
        if (bytes.length > MAX_MESSAGE_BYTES) {
            throw new BadTelemetryException("telemetry message of " + bytes.length + " bytes exceeds "
                    + MAX_MESSAGE_BYTES);
        }
        try {
            JsonNode node = JSON.readTree(bytes);
            if (!(node instanceof ObjectNode object) || !object.path("type").isTextual()) {
                throw new BadTelemetryException("telemetry message is not an object with a type");
            }
            String type = object.remove("type").textValue();
            Class<? extends TelemetryMessage> kind = switch (type) {
                case "peer" -> PeerStatus.class;
                case "round" -> RoundReport.class;
                case "event" -> RunEvent.class;
                default -> throw new BadTelemetryException("unknown telemetry type \"" + clip(type) + "\"");
            };
            TelemetryMessage message = JSON.treeToValue(object, kind);
            checkStrings(message);
            return message;
        } catch (JacksonException e) {
            throw new BadTelemetryException("malformed telemetry: " + clip(e.getOriginalMessage()), e);
        } catch (IOException e) {
            throw new BadTelemetryException("unreadable telemetry: " + clip(e.getMessage()), e);
        }
    }

    private static void checkStrings(TelemetryMessage message) {
        boolean missing = switch (message) {
            case PeerStatus s -> s.peerId() == null || s.hardware() == null || s.device() == null
                    || s.stateHash() == null;
            case RoundReport r -> r.stateHash() == null;
            case RunEvent e -> e.kind() == null || e.peerId() == null || e.detail() == null;
        };
        if (missing) {
            throw new BadTelemetryException("telemetry " + typeOf(message) + " lacks a required field");
        }
    }

    private static String typeOf(TelemetryMessage message) {
        return switch (message) {
            case PeerStatus ignored -> "peer";
            case RoundReport ignored -> "round";
            case RunEvent ignored -> "event";
        };
    }

    private static String clip(String text) {
        String s = String.valueOf(text).lines().findFirst().orElse("");
        return s.length() > 120 ? s.substring(0, 120) + "…" : s;
    }
}
