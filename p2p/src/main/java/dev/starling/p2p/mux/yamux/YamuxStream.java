package dev.starling.p2p.mux.yamux;

import dev.starling.p2p.mux.StreamBase;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * One yamux stream: its send window and queue, its receive window, and its half of the SYN/ACK/FIN/RST
 * exchange. Owned by the session's event loop (see {@link StreamBase}). Queued buffers are owned here and
 * released on reset.
 */
final class YamuxStream extends StreamBase {
    private final YamuxSession session;
    private final int id;
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    private long queued;
    private long sendWindow = YamuxSession.INITIAL_WINDOW;
    private long recvWindow;
    private long recvConsumed;
    private boolean finQueued;
    private boolean finSent;
    private boolean acked;

    YamuxStream(YamuxSession session, int id, boolean initiator) {
        super(session.executor(), session, initiator);
        this.session = session;
        this.id = id;
        this.recvWindow = YamuxSession.INITIAL_WINDOW;
    }

    int id() {
        return id;
    }

    /** Opens (SYN) or accepts (ACK) the stream and raises our receive window to the session's. */
    void sendOpen(int flag) {
        long delta = session.receiveWindow() - YamuxSession.INITIAL_WINDOW;
        recvWindow += delta;
        session.writeFrame(YamuxFrame.WINDOW_UPDATE, flag, id, delta, null);
        acked = flag == YamuxFrame.ACK;
    }

    boolean isAcked() {
        return acked;
    }

    void onAck() {
        acked = true;
    }

    /** Inbound data: checks the window, then passes it on. Returns false if the peer overran the window. */
    boolean onData(ByteBuf data) {
        int n = data.readableBytes();
        if (n > recvWindow) {
            data.release();
            return false;
        }
        recvWindow -= n;
        receiveData(data);
        return true;
    }

    void onWindowUpdate(long delta) {
        sendWindow += delta;
        flushQueue();
    }

    @Override
    protected boolean transmit(ByteBuf data) {
        queue.add(data);
        queued += data.readableBytes();
        flushQueue();
        return true;
    }

    private void flushQueue() {
        boolean wrote = false;
        while (!queue.isEmpty() && sendWindow > 0 && session.channelWritable()) {
            ByteBuf head = queue.peek();
            int n = (int) Math.min(Math.min(sendWindow, YamuxSession.MAX_SEND_FRAME), head.readableBytes());
            ByteBuf chunk;
            if (n == head.readableBytes()) {
                chunk = queue.poll(); // the whole buffer goes to the session, which releases it
            } else {
                chunk = head.readRetainedSlice(n); // the session releases the slice, we keep head
            }
            queued -= n;
            sendWindow -= n;
            session.writeFrame(YamuxFrame.DATA, 0, id, n, chunk);
            wrote = true;
        }
        if (finQueued && !finSent && queue.isEmpty()) {
            finSent = true;
            session.writeFrame(YamuxFrame.WINDOW_UPDATE, YamuxFrame.FIN, id, 0, null);
            wrote = true;
        }
        if (wrote) {
            session.flush();
            updateWritability();
            maybeFinishClean();
        }
    }

    /** The connection became writable again: sends what waited for it. */
    void resume() {
        flushQueue();
    }

    @Override
    protected void transmitFin() {
        finQueued = true;
        flushQueue();
    }

    @Override
    protected void transmitReset() {
        releaseQueue();
        session.writeFrame(YamuxFrame.WINDOW_UPDATE, YamuxFrame.RST, id, 0, null);
        session.flush();
    }

    private void releaseQueue() {
        ByteBuf b;
        while ((b = queue.poll()) != null) b.release();
        queued = 0;
    }

    @Override
    protected void consumed(int bytes) {
        recvConsumed += bytes;
        if (recvConsumed >= session.receiveWindow() / 2 && !isFinishedOrRemoteClosed()) {
            recvWindow += recvConsumed;
            session.writeFrame(YamuxFrame.WINDOW_UPDATE, 0, id, recvConsumed, null);
            session.flush();
            recvConsumed = 0;
        }
    }

    private boolean isFinishedOrRemoteClosed() {
        return closeFuture().isDone();
    }

    @Override
    protected long queuedBytes() {
        return finQueued && !finSent ? queued + 1 : queued;
    }

    @Override
    protected void onFinished() {
        releaseQueue();
        session.forget(this);
    }

}
