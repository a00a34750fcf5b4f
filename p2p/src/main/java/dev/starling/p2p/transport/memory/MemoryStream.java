package dev.starling.p2p.transport.memory;

import dev.starling.p2p.mux.StreamBase;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.EventExecutor;

/**
 * One end of an in-memory stream. Bytes are posted to the other end's loop; credit comes back when the
 * other end's handler has consumed them, so {@link #queuedBytes()} is the in-flight amount (our "window").
 */
final class MemoryStream extends StreamBase {
    private final MemoryConnection connection;
    private final long id;
    private MemoryStream peer;
    private long inFlight;

    MemoryStream(EventExecutor executor, MemoryConnection connection, boolean initiator, long id) {
        super(executor, connection, initiator);
        this.connection = connection;
        this.id = id;
    }

    long id() {
        return id;
    }

    void link(MemoryStream other) {
        this.peer = other;
    }

    @Override
    protected boolean transmit(ByteBuf data) {
        int n = data.readableBytes();
        inFlight += n;
        MemoryStream p = peer;
        if (!connection.post(() -> p.receiveData(data), n, data::release)) {
            inFlight -= n;
            data.release();
        }
        return true;
    }

    @Override
    protected void transmitFin() {
        MemoryStream p = peer;
        connection.post(p::receiveFin);
    }

    @Override
    protected void transmitReset() {
        MemoryStream p = peer;
        connection.post(p::receiveReset);
    }

    @Override
    protected void consumed(int bytes) {
        MemoryStream p = peer;
        connection.post(() -> p.credit(bytes));
    }

    private void credit(int bytes) {
        inFlight -= bytes;
        updateWritability();
        maybeFinishClean();
    }

    @Override
    protected long queuedBytes() {
        return inFlight;
    }

    @Override
    protected void onFinished() {
        connection.forget(id);
    }
}
