package dev.starling.p2p.multistream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.testing.Mutator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MultistreamNegotiatorTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    private static ByteBuf hex(String h) {
        return Unpooled.wrappedBuffer(HexFormat.of().parseHex(h));
    }

    @Test
    void shouldSendHeaderAndFirstProposalInOneWriteAsJsDoes() {
        MultistreamNegotiator n = MultistreamNegotiator.initiator(List.of("/noise"), ALLOC);
        ByteBuf start = n.start();
        try {
            // 13 "/multistream/1.0.0\n" 07 "/noise\n": 28 bytes as captured from js-libp2p
            assertEquals("132f6d756c746973747265616d2f312e302e300a072f6e6f6973650a", ByteBufUtil.hexDump(start));
        } finally {
            start.release();
            n.release();
        }
    }

    @Test
    void shouldAcceptPipelinedProposalAndKeepLeftoverBytes() {
        MultistreamNegotiator r = MultistreamNegotiator.responder(Set.of("/noise")::contains, ALLOC);
        r.start().release();
        MultistreamNegotiator.Step s = r.onData(hex("132f6d756c746973747265616d2f312e302e300a072f6e6f6973650a0020aabb"));
        assertTrue(s.isDone());
        assertEquals("/noise", s.protocol());
        assertEquals("072f6e6f6973650a", ByteBufUtil.hexDump(s.output()));
        assertEquals("0020aabb", ByteBufUtil.hexDump(s.leftover()));
        s.output().release();
        s.leftover().release();
    }

    @Test
    void shouldAnswerNaThenAcceptTheNextProposalByteByByte() {
        MultistreamNegotiator i = MultistreamNegotiator.initiator(List.of("/tls/1.0.0", "/noise"), ALLOC);
        MultistreamNegotiator r = MultistreamNegotiator.responder(Set.of("/noise")::contains, ALLOC);
        ByteBuf toR = i.start();
        ByteBuf toI = Unpooled.buffer();
        ByteBuf rStart = r.start();
        toI.writeBytes(rStart);
        rStart.release();
        feedByteByByte(r, toR, toI);
        assertEquals("132f6d756c746973747265616d2f312e302e300a036e610a", ByteBufUtil.hexDump(toI));
        MultistreamNegotiator.Step s = i.onData(toI);
        assertFalse(s.isDone());
        ByteBuf echo = Unpooled.buffer();
        feedByteByByte(r, s.output(), echo);
        MultistreamNegotiator.Step done = i.onData(echo);
        assertEquals("/noise", done.protocol());
        assertNull(done.leftover());
        assertNull(done.output());
    }

    private static void feedByteByByte(MultistreamNegotiator r, ByteBuf in, ByteBuf out) {
        while (in.isReadable()) {
            MultistreamNegotiator.Step st = r.onData(in.readRetainedSlice(1));
            if (st.output() != null) {
                out.writeBytes(st.output());
                st.output().release();
            }
        }
        in.release();
    }

    @Test
    void shouldRejectOversizedMessagesBeforeBuffering() {
        MultistreamNegotiator r = MultistreamNegotiator.responder(p -> true, ALLOC);
        r.start().release();
        P2pException e = assertThrows(P2pException.class, () -> r.onData(hex("ffff03")));
        assertEquals(P2pException.Category.PROTOCOL_VIOLATION, e.category());
    }

    @Test
    void shouldCloseTheChannelOnGarbageThroughTheHandler() {
        EmbeddedChannel ch = new EmbeddedChannel(new MultistreamHandler(null, p -> true, (ctx, p) -> { }));
        ByteBuf out = ch.readOutbound();
        assertEquals(0x13, out.getByte(0));
        out.release();
        assertThrows(P2pException.class,
                () -> ch.writeInbound(Unpooled.copiedBuffer("\u0005hello", StandardCharsets.UTF_8)));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void shouldOnlyThrowP2pExceptionOnMutatedTranscripts() {
        byte[] dialer = HexFormat.of().parseHex("132f6d756c746973747265616d2f312e302e300a072f6e6f6973650a");
        byte[] listener = HexFormat.of().parseHex("132f6d756c746973747265616d2f312e302e300a036e610a");
        Mutator mut = new Mutator(21, List.of(dialer, listener));
        for (int n = 0; n < Mutator.ITERATIONS; n++) {
            byte[] in = mut.next();
            MultistreamNegotiator neg = n % 2 == 0
                    ? MultistreamNegotiator.responder(Set.of("/noise")::contains, ALLOC)
                    : MultistreamNegotiator.initiator(List.of("/noise", "/tls/1.0.0"), ALLOC);
            neg.start().release();
            try {
                int cut = in.length == 0 ? 0 : mut.nextInt(in.length);
                MultistreamNegotiator.Step s = neg.onData(Unpooled.wrappedBuffer(in, 0, cut));
                release(s);
                if (!s.isDone()) release(neg.onData(Unpooled.wrappedBuffer(in, cut, in.length - cut)));
            } catch (P2pException expected) {
                // the only acceptable failure
            } finally {
                neg.release();
            }
        }
    }

    private static void release(MultistreamNegotiator.Step s) {
        if (s.output() != null) s.output().release();
        if (s.leftover() != null) s.leftover().release();
    }
}
