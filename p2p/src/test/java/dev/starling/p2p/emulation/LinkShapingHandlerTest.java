package dev.starling.p2p.emulation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.crypto.Keys;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LinkShapingHandlerTest {
    private static final PeerId A = Keys.ed25519ForTest(1).publicKey().toPeerId();
    private static final PeerId B = Keys.ed25519ForTest(2).publicKey().toPeerId();
    private static final PeerId C = Keys.ed25519ForTest(3).publicKey().toPeerId();

    private static EmbeddedChannel channel(LinkEmulation emulation, PeerId remote) {
        EmbeddedChannel ch = new EmbeddedChannel(new LinkShapingHandler(emulation.forHost(A), remote));
        ch.freezeTime();
        return ch;
    }

    private static void advanceMicros(EmbeddedChannel ch, long micros) {
        ch.advanceTimeBy(micros, TimeUnit.MICROSECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void shouldReleaseEachWriteWhenItsLastByteArrives() {
        EmbeddedChannel ch = channel(LinkEmulation.uniform(LinkProfile.parse("100mbit,50ms")), B);
        ChannelFuture first = ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[1250]));
        ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[2500]));
        advanceMicros(ch, 50_099);
        assertNull(ch.readOutbound(), "nothing before 50 ms + 100 µs");
        assertFalse(first.isDone());
        advanceMicros(ch, 1);
        ByteBuf out = ch.readOutbound();
        assertEquals(1250, out.readableBytes());
        out.release();
        assertTrue(first.isSuccess());
        advanceMicros(ch, 199);
        assertNull(ch.readOutbound(), "the second write needs 200 µs more");
        advanceMicros(ch, 1);
        out = ch.readOutbound();
        assertEquals(2500, out.readableBytes());
        out.release();
        assertFalse(ch.finish());
    }

    @Test
    void shouldQueueACloseBehindTheWritesBeforeIt() {
        EmbeddedChannel ch = channel(LinkEmulation.uniform(LinkProfile.parse("8mbit,10ms")), B);
        ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[1000]));
        ch.pipeline().close(); // EmbeddedChannel.close() would cancel scheduled tasks
        assertTrue(ch.isOpen(), "the close waits for the write");
        advanceMicros(ch, 11_000);
        ByteBuf out = ch.readOutbound();
        assertEquals(1000, out.readableBytes());
        out.release();
        assertFalse(ch.isOpen());
    }

    @Test
    void shouldReleaseQueuedBuffersWhenTheChannelDies() {
        EmbeddedChannel ch = channel(LinkEmulation.uniform(LinkProfile.parse("1mbit,100ms")), B);
        ByteBuf held = Unpooled.buffer(100).writeZero(100);
        ChannelFuture write = ch.writeAndFlush(held);
        ch.pipeline().fireChannelInactive();
        assertEquals(0, held.refCnt());
        assertFalse(write.isSuccess());
        ch.finishAndReleaseAll();
    }

    @Test
    void shouldSwitchToThePairProfileOnceTheRemoteIsKnown() {
        LinkEmulation emulation = LinkEmulation.uniform(LinkProfile.parse("0,1ms"))
                .withLink(A, C, LinkProfile.parse("0,30ms"));
        LinkShapingHandler handler = new LinkShapingHandler(emulation.forHost(A), null);
        EmbeddedChannel ch = new EmbeddedChannel(handler);
        ch.freezeTime();
        ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[10]));
        handler.remoteIdentified(C);
        ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[10]));
        advanceMicros(ch, 1_000);
        ByteBuf out = ch.readOutbound();
        out.release();
        assertNull(ch.readOutbound());
        advanceMicros(ch, 29_000);
        out = ch.readOutbound();
        out.release();
        assertEquals(30_000_000, handler.direction().profile().delayNanos());
        assertFalse(ch.finish());
    }
}
