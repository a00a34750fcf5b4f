package dev.starling.p2p.pubsub;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The bytes a StrictSign signature covers: {@code "libp2p-pubsub:"} followed by the protobuf {@code Message} with
 * its {@code signature} and {@code key} fields left out (pubsub/README.md, "Message Signing"). Fields are written in
 * field-number order, absent (empty) optional bytes fields are omitted, the required topic is always written.
 */
final class SigningPayload {
    private static final byte[] PREFIX = "libp2p-pubsub:".getBytes(StandardCharsets.US_ASCII);

    private SigningPayload() {
    }

    static byte[] of(PubsubMessage m) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(PREFIX.length + m.approximateSize());
            bytes.write(PREFIX);
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            if (m.from().length > 0) {
                out.writeByteArray(1, m.from());
            }
            if (m.data().length > 0) {
                out.writeByteArray(2, m.data());
            }
            if (m.seqno().length > 0) {
                out.writeByteArray(3, m.seqno());
            }
            out.writeString(4, m.topic());
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
