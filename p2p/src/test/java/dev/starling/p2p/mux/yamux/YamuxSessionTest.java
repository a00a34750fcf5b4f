package dev.starling.p2p.mux.yamux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.ProtocolHandler;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.testing.Mutator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The yamux session on an EmbeddedChannel: frames in, frames out, no sockets. */
class YamuxSessionTest {
    private static final InboundRouter ROUTER = new InboundRouter() {
        @Override
        public Optional<ProtocolHandler> handler(String protocolId) {
            if (!"/echo".equals(protocolId)) return Optional.empty();
            return Optional.of(s -> new StreamHandler() {
                @Override
                public void onData(Stream stream, ByteBuf data) {
                    stream.write(data); // ownership passes to the stream
                }

                @Override
                public void onRemoteClosed(Stream stream) {
                    stream.closeWrite();
                }
            });
        }

        @Override
        public Set<String> supportedProtocols() {
            return Set.of("/echo");
        }

        @Override
        public void onConnected(Connection connection) {
        }

        @Override
        public void onDisconnected(Connection connection) {
        }
    };

    private static final dev.starling.p2p.core.PublicKey REMOTE = Keys.ed25519ForTest(51).publicKey();
    private static final Multiaddr LOCAL_ADDR = Multiaddr.fromString("/memory/a");
    private static final Multiaddr REMOTE_ADDR = Multiaddr.fromString("/memory/b");

    private static EmbeddedChannel session(int window) {
        return new EmbeddedChannel(new YamuxFrameDecoder(window), new YamuxSession(false, ROUTER,
                REMOTE, LOCAL_ADDR, REMOTE_ADDR, window));
    }

    private static byte[] frame(int type, int flags, int id, long length, byte[] data) {
        ByteBuf b = Unpooled.buffer();
        YamuxFrame.writeHeader(b, type, flags, id, data != null ? data.length : length);
        if (data != null) b.writeBytes(data);
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }

    private static byte[] mss(String... msgs) {
        StringBuilder sb = new StringBuilder();
        for (String m : msgs) sb.append((char) (m.length() + 1)).append(m).append('\n');
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Decodes everything the session wrote. */
    private static List<YamuxFrame> written(EmbeddedChannel ch) {
        EmbeddedChannel parser = new EmbeddedChannel(new YamuxFrameDecoder(1 << 24));
        ByteBuf out;
        while ((out = ch.readOutbound()) != null) parser.writeInbound(out);
        List<YamuxFrame> frames = new ArrayList<>();
        YamuxFrame f;
        while ((f = parser.readInbound()) != null) frames.add(f);
        parser.finishAndReleaseAll();
        return frames;
    }

    private static String dataText(List<YamuxFrame> frames) {
        StringBuilder sb = new StringBuilder();
        for (YamuxFrame f : frames) {
            if (f.data() != null) {
                sb.append(f.data().toString(StandardCharsets.ISO_8859_1));
                f.data().release();
            }
        }
        return sb.toString();
    }

    @Test
    void shouldAnswerASessionPingWithAckAndTheSameOpaqueValue() {
        EmbeddedChannel ch = session(YamuxSession.INITIAL_WINDOW);
        ch.writeInbound(Unpooled.wrappedBuffer(frame(YamuxFrame.PING, YamuxFrame.SYN, 0, 0xCAFE, null)));
        List<YamuxFrame> out = written(ch);
        assertEquals(1, out.size());
        assertEquals(YamuxFrame.PING, out.getFirst().type());
        assertTrue(out.getFirst().has(YamuxFrame.ACK));
        assertEquals(0xCAFE, out.getFirst().length());
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldPingForKeepAliveAndCloseWhenThePingIsNeverAnswered() {
        EmbeddedChannel ch = session(YamuxSession.INITIAL_WINDOW);
        ch.advanceTimeBy(YamuxSession.KEEPALIVE_INTERVAL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        List<YamuxFrame> out = written(ch);
        assertEquals(YamuxFrame.PING, out.getFirst().type());
        assertTrue(out.getFirst().has(YamuxFrame.SYN));
        ch.writeInbound(Unpooled.wrappedBuffer(frame(YamuxFrame.PING, YamuxFrame.ACK, 0, out.getFirst().length(), null)));
        ch.advanceTimeBy(YamuxSession.KEEPALIVE_INTERVAL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "an answered ping keeps the connection");
        written(ch);
        ch.advanceTimeBy(YamuxSession.KEEPALIVE_INTERVAL_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen(), "an unanswered ping closes it");
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldAcceptAStreamNegotiateItAndEchoPipelinedData() {
        EmbeddedChannel ch = session(YamuxSession.INITIAL_WINDOW);
        byte[] open = frame(YamuxFrame.DATA, YamuxFrame.SYN, 1, 0,
                concat(mss("/multistream/1.0.0", "/nope", "/echo"), "hi".getBytes(StandardCharsets.US_ASCII)));
        ch.writeInbound(Unpooled.wrappedBuffer(open, frame(YamuxFrame.DATA, YamuxFrame.FIN, 1, 0, new byte[0])));
        ch.runPendingTasks();
        List<YamuxFrame> out = written(ch);
        assertTrue(out.getFirst().has(YamuxFrame.ACK));
        assertTrue(out.stream().anyMatch(f -> f.has(YamuxFrame.FIN)));
        assertEquals(new String(concat(mss("/multistream/1.0.0", "na", "/echo"), "hi".getBytes()),
                StandardCharsets.ISO_8859_1), dataText(out));
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldResetAStreamWhoseNegotiationStalls() {
        EmbeddedChannel ch = session(YamuxSession.INITIAL_WINDOW);
        ch.freezeTime(); // only advanceTimeBy moves the clock: real time passing under load must not fire the timer
        // the remote opens a stream and sends only half of the multistream header, then nothing
        byte[] half = java.util.Arrays.copyOf(mss("/multistream/1.0.0"), 5);
        ch.writeInbound(Unpooled.wrappedBuffer(frame(YamuxFrame.DATA, YamuxFrame.SYN, 1, 0, half)));
        dataText(written(ch));
        ch.advanceTimeBy(dev.starling.p2p.mux.NegotiatingHandler.NEGOTIATION_TIMEOUT_MS - 1,
                java.util.concurrent.TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        List<YamuxFrame> before = written(ch);
        dataText(before);
        assertTrue(before.stream().noneMatch(f -> f.has(YamuxFrame.RST)), before.toString());
        ch.advanceTimeBy(1, java.util.concurrent.TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        List<YamuxFrame> out = written(ch);
        dataText(out);
        assertTrue(out.stream().anyMatch(f -> f.has(YamuxFrame.RST) && f.streamId() == 1), out.toString());
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldCloseTheConnectionWhenAPeerOverrunsTheWindow() {
        EmbeddedChannel ch = session(YamuxSession.INITIAL_WINDOW);
        ch.writeInbound(Unpooled.wrappedBuffer(frame(YamuxFrame.WINDOW_UPDATE, YamuxFrame.SYN, 1, 0, null)));
        ch.writeInbound(Unpooled.wrappedBuffer(frame(YamuxFrame.DATA, 0, 1, YamuxSession.INITIAL_WINDOW + 1, null)));
        List<YamuxFrame> out = written(ch);
        dataText(out);
        assertTrue(out.stream().anyMatch(f -> f.type() == YamuxFrame.GO_AWAY
                && f.length() == YamuxFrame.GO_AWAY_PROTOCOL_ERROR), out.toString());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldResetStreamsBeyondTheLimitWithoutClosingTheConnection() {
        EmbeddedChannel ch = session(YamuxSession.INITIAL_WINDOW);
        for (int i = 0; i <= YamuxSession.MAX_STREAMS; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(frame(YamuxFrame.WINDOW_UPDATE, YamuxFrame.SYN, 2 * i + 1, 0, null)));
        }
        List<YamuxFrame> out = written(ch);
        dataText(out);
        assertTrue(out.getLast().has(YamuxFrame.RST));
        assertEquals(2 * YamuxSession.MAX_STREAMS + 1, out.getLast().streamId());
        assertTrue(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldSurviveMutatedFrameSequencesWithoutUnexpectedFailuresOrLeaks() {
        Logger log = (Logger) LoggerFactory.getLogger(YamuxSession.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        log.addAppender(appender);
        Level before = log.getLevel();
        log.setLevel(Level.WARN);
        try {
            byte[] good = concat(frame(YamuxFrame.DATA, YamuxFrame.SYN, 1, 0, mss("/multistream/1.0.0", "/echo")),
                    frame(YamuxFrame.DATA, 0, 1, 0, "abc".getBytes()), frame(YamuxFrame.PING, YamuxFrame.SYN, 0, 7, null),
                    frame(YamuxFrame.WINDOW_UPDATE, 0, 1, 1000, null), frame(YamuxFrame.DATA, YamuxFrame.FIN, 1, 0, null),
                    frame(YamuxFrame.WINDOW_UPDATE, YamuxFrame.RST, 3, 0, null), frame(YamuxFrame.GO_AWAY, 0, 0, 0, null));
            Mutator mut = new Mutator(61, List.of(good));
            for (int n = 0; n < Mutator.iterations(1000); n++) {
                EmbeddedChannel ch = session(YamuxSession.INITIAL_WINDOW);
                byte[] in = mut.next();
                int cut = in.length == 0 ? 0 : mut.nextInt(in.length);
                ch.writeInbound(Unpooled.wrappedBuffer(in, 0, cut));
                if (ch.isOpen()) ch.writeInbound(Unpooled.wrappedBuffer(in, cut, in.length - cut));
                ch.runPendingTasks();
                ch.finishAndReleaseAll();
            }
            assertEquals(List.of(), appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
        } finally {
            log.detachAppender(appender);
            log.setLevel(before);
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuf b = Unpooled.buffer();
        for (byte[] p : parts) b.writeBytes(p);
        byte[] out = ByteBufUtil.getBytes(b);
        b.release();
        return out;
    }
}
