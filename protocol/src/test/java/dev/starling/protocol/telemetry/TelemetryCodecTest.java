package dev.starling.protocol.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TelemetryCodecTest {
    private static final PeerStatus PEER = new PeerStatus("12D3KooWabc", "2 cores", "cpu", 0, 3, 40, 100,
            5123.5, 2.31, 1_000_000, 900_000, 120, "ab12cd34");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldRoundTripEveryMessageType() {
        RoundReport round = new RoundReport(3, 4, 812, 4_000_000, 3.9, 1.95, "ab12cd34", 1);
        RunEvent event = new RunEvent(RunEvent.Kind.BANNED, "12D3KooWbad", "reducer sent a wrong part");
        for (TelemetryMessage m : new TelemetryMessage[] {PEER, round, event}) {
            assertEquals(m, TelemetryCodec.decode(TelemetryCodec.encode(m)));
        }
    }

    @Test
    void shouldRejectOversizedMessageBeforeParsing() {
        byte[] big = new byte[TelemetryCodec.MAX_MESSAGE_BYTES + 1];
        assertThrows(BadTelemetryException.class, () -> TelemetryCodec.decode(big));
    }

    @Test
    void shouldRejectUnknownTypesFieldsAndMissingStrings() {
        assertThrows(BadTelemetryException.class, () -> TelemetryCodec.decode(utf8("{\"type\":\"x\"}")));
        assertThrows(BadTelemetryException.class, () -> TelemetryCodec.decode(utf8("[1,2]")));
        assertThrows(BadTelemetryException.class, () -> TelemetryCodec.decode(
                utf8("{\"type\":\"event\",\"kind\":\"JOINED\",\"peerId\":\"a\",\"detail\":\"d\",\"evil\":1}")));
        assertThrows(BadTelemetryException.class, () -> TelemetryCodec.decode(
                utf8("{\"type\":\"event\",\"kind\":\"JOINED\",\"detail\":\"d\"}")));
        assertThrows(BadTelemetryException.class, () -> TelemetryCodec.decode(
                utf8("{\"type\":\"event\",\"kind\":\"JOINED\",\"peerId\":\"" + "a".repeat(600) + "\",\"detail\":\"\"}")));
    }

    @Test
    void shouldOnlyEverThrowBadTelemetryOnMutatedInput() {
        byte[] valid = TelemetryCodec.encode(PEER);
        Random random = new Random(42);
        for (int i = 0; i < 5000; i++) {
            byte[] mutated = valid.clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
            }
            try {
                TelemetryCodec.decode(mutated);
            } catch (BadTelemetryException expected) {
                // the only failure a remote peer can cause
            }
        }
    }
}
