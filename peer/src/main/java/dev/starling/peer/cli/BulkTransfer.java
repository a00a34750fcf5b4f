package dev.starling.peer.cli;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Stream;
import dev.starling.p2p.core.StreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The one-stream transfer the network benches time: a source writes zeros as fast as the stream accepts them, then
 * half-closes; the sink counts the bytes and answers the count in ASCII. Used by {@code bench p2p} and
 * {@code bench link}.
 */
final class BulkTransfer {
    private BulkTransfer() {
    }

    /**
     * A handler that counts bytes until the writer half-closes, then answers the count and closes.
     *
     * @return a new sink (one per stream)
     */
    static StreamHandler sink() {
        return new Sink();
    }

    /**
     * Sends {@code total} bytes on a new stream of {@code protocol} and waits for the sink's count.
     *
     * @param c          the connection
     * @param protocol   the sink's protocol id
     * @param total      bytes to send
     * @param chunk      bytes per write
     * @param timeoutSec how long to wait for the answer
     * @return the count the sink saw
     * @throws Exception if the stream fails, the answer is not a number, or it times out
     */
    static long send(Connection c, String protocol, long total, int chunk, long timeoutSec) throws Exception {
        Source source = new Source(total, chunk);
        // a fresh stream is writable: the pump starts on the stream's thread
        c.newStream(List.of(protocol), s -> source).thenAccept(s -> s.executor().execute(() -> source.pump(s)));
        return source.reply.get(timeoutSec, TimeUnit.SECONDS);
    }

    /** Writes {@code total} bytes as fast as the stream accepts them, on the stream's thread. */
    private static final class Source implements StreamHandler {
        private final long total;
        private final int chunkSize;
        private final ByteBuf chunk;
        private final StringBuilder text = new StringBuilder();
        private final CompletableFuture<Long> reply = new CompletableFuture<>();
        private long sent;

        Source(long total, int chunkSize) {
            this.total = total;
            this.chunkSize = chunkSize;
            this.chunk = Unpooled.unreleasableBuffer(ByteBufAllocator.DEFAULT.heapBuffer(chunkSize)
                    .writeZero(chunkSize));
        }

        void pump(Stream s) {
            while (sent < total && s.isWritable()) {
                int n = (int) Math.min(chunkSize, total - sent);
                s.write(chunk.retainedSlice(0, n)); // the stream releases the slice
                sent += n;
            }
            if (sent >= total) s.closeWrite();
        }

        @Override
        public void onWritabilityChanged(Stream s) {
            if (s.isWritable() && sent < total) pump(s);
        }

        @Override
        public void onData(Stream s, ByteBuf data) {
            try {
                text.append(data.toString(StandardCharsets.US_ASCII));
            } finally {
                data.release();
            }
        }

        @Override
        public void onClosed(Stream s, boolean reset) {
            try {
                reply.complete(Long.parseLong(text.toString().trim()));
            } catch (NumberFormatException e) {
                reply.completeExceptionally(new IllegalStateException("bad sink reply '" + text + "'"));
            }
        }
    }

    /** Counts bytes until the writer half-closes, then answers the count and closes. */
    private static final class Sink implements StreamHandler {
        private long count;

        @Override
        public void onData(Stream s, ByteBuf data) {
            count += data.readableBytes();
            data.release();
        }

        @Override
        public void onRemoteClosed(Stream s) {
            s.write(Unpooled.copiedBuffer(Long.toString(count), StandardCharsets.US_ASCII));
            s.closeWrite();
        }
    }
}
