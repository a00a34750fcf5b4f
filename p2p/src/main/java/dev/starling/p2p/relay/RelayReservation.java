package dev.starling.p2p.relay;

import dev.starling.p2p.codec.LengthPrefixedFrames;
import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.relay.CircuitMessages.Hop;
import dev.starling.p2p.relay.CircuitMessages.HopType;
import dev.starling.p2p.relay.CircuitMessages.Reservation;
import dev.starling.p2p.relay.CircuitMessages.Status;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one reservation on one relay: RESERVE on start, again before it expires (at 3/4 of its remaining life, at
 * least 30 s later), and again soon after the connection to the relay closes; failures retry with a delay doubling
 * from 1 s to 60 s. The voucher in each answer is checked (signed by the relay, for us).
 *
 * <p><b>Thread.</b> Its state belongs to {@code timer}; the public getters are safe from any thread.
 */
public final class RelayReservation {
    private static final Logger LOG = LoggerFactory.getLogger(RelayReservation.class);
    private static final long MIN_REFRESH_MS = 30_000;
    private static final long MAX_RETRY_MS = 60_000;

    private final Host host;
    private final Multiaddr relayAddress;
    private final PeerId relay;
    private final EventExecutor timer;
    private final LongSupplier wallClockMillis;
    private final CompletableFuture<Reservation> first = new CompletableFuture<>();
    private volatile Reservation current;
    private volatile boolean cancelled;
    private ScheduledFuture<?> next;
    private long retryMs = 1_000;
    private int granted;

    RelayReservation(Host host, Multiaddr relayAddress, EventExecutor timer, LongSupplier wallClockMillis) {
        this.host = host;
        this.relayAddress = relayAddress;
        this.relay = relayAddress.peerId().orElseThrow();
        this.timer = timer;
        this.wallClockMillis = wallClockMillis;
    }

    /** Starts; completes with the first reservation, or fails if the first attempt fails. */
    CompletableFuture<Reservation> start() {
        timer.execute(this::reserve);
        return first;
    }

    /**
     * Returns the reservation in force, or null before the first one.
     *
     * @return the last granted reservation
     */
    public Reservation current() {
        return current;
    }

    /**
     * Returns how many reservations (first one and refreshes) the relay granted.
     *
     * @return the count, read on the timer thread
     */
    public CompletableFuture<Integer> grantedCount() {
        CompletableFuture<Integer> out = new CompletableFuture<>();
        timer.execute(() -> out.complete(granted));
        return out;
    }

    /** Stops refreshing (the relay lets the reservation lapse). Idempotent. */
    void cancel() {
        cancelled = true;
        timer.execute(() -> {
            if (next != null) next.cancel(false);
        });
    }

    /** Refreshes now (for tests and for callers that know the relay restarted). */
    public void refreshNow() {
        timer.execute(this::reserve);
    }

    private void reserve() {
        if (cancelled) return;
        host.dial(relayAddress).thenCompose(this::exchange).whenCompleteAsync((r, error) -> {
            if (error == null) {
                onGranted(r.reservation(), r.connection());
            } else {
                onFailed(error);
            }
        }, timer);
    }

    private record Granted(Reservation reservation, Connection connection) {
    }

    private CompletableFuture<Granted> exchange(Connection connection) {
        if (CircuitRelayServer.isRelayed(connection)) {
            throw P2pException.internal("not reserving over a relayed connection", null);
        }
        FirstMessageReader reader = new FirstMessageReader(CircuitCodec.MAX_MESSAGE_BYTES);
        return connection.newStream(List.of(CircuitRelayTransport.HOP_PROTOCOL), s -> reader).thenCompose(stream -> {
            stream.write(LengthPrefixedFrames.frame(CircuitCodec.encode(
                    new Hop(HopType.RESERVE, null, null, null, null))));
            var timeout = stream.executor().schedule(stream::reset, CircuitRelayTransport.EXCHANGE_TIMEOUT_MS,
                    TimeUnit.MILLISECONDS);
            return reader.message().thenApply(bytes -> {
                timeout.cancel(false);
                stream.reset(); // one answer is all this stream carries
                Hop answer = CircuitCodec.decodeHop(bytes);
                if (answer.type() != HopType.STATUS || answer.status() != Status.OK || answer.reservation() == null) {
                    throw P2pException.closed("relay " + relay + " refused the reservation: " + answer.status());
                }
                Reservation r = answer.reservation();
                if (r.voucher() != null) {
                    ReservationVoucher v = ReservationVoucher.open(r.voucher());
                    if (!v.relay().equals(relay) || !v.peer().equals(host.peerId())) {
                        throw P2pException.badPeer("relay " + relay + " sent a voucher for " + v.peer() + " from "
                                + v.relay());
                    }
                }
                return new Granted(r, connection);
            });
        });
    }

    private void onGranted(Reservation r, Connection connection) {
        current = r;
        granted++;
        retryMs = 1_000;
        first.complete(r);
        long left = r.expireUnixSeconds() * 1000 - wallClockMillis.getAsLong();
        schedule(Math.max(MIN_REFRESH_MS, left * 3 / 4));
        connection.closeFuture().thenRun(() -> timer.execute(() -> {
            if (cancelled || current != r) return;
            LOG.info("connection to relay {} closed; reserving again", relay);
            schedule(retryMs);
        }));
        LOG.debug("reservation on {} until {}", relay, r.expireUnixSeconds());
    }

    private void onFailed(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        if (!first.isDone()) {
            first.completeExceptionally(cause);
            return;
        }
        LOG.info("reservation on relay {} failed ({}); retrying in {} ms", relay, cause.getMessage(), retryMs);
        schedule(retryMs);
        retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
    }

    private void schedule(long delayMs) {
        if (cancelled) return;
        if (next != null) next.cancel(false);
        next = timer.schedule(this::reserve, delayMs, TimeUnit.MILLISECONDS);
    }
}
