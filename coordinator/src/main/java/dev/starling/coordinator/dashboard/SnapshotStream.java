package dev.starling.coordinator.dashboard;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One server-sent-events client: sends the current snapshot, then each newer one as it is
 * published, coalescing bursts (a slow client gets the latest snapshot, never a backlog), with a
 * comment line every {@link #KEEPALIVE_SECONDS} so proxies keep the connection open. Runs on the
 * request's own (virtual) thread until the client goes away or the server closes.
 */
final class SnapshotStream {
    static final int KEEPALIVE_SECONDS = 15;

    private final RunView view;
    private final Semaphore slots;

    SnapshotStream(RunView view, Semaphore slots) {
        this.view = view;
        this.slots = slots;
    }

    void serve(HttpExchange exchange) throws IOException {
        if (!slots.tryAcquire()) {
            byte[] body = "too many live dashboards; reload later\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(503, body.length);
            exchange.getResponseBody().write(body);
            return;
        }
        BlockingQueue<RunSnapshot> latest = new ArrayBlockingQueue<>(1);
        Consumer<RunSnapshot> listener = s -> {
            latest.poll();
            latest.offer(s);
        };
        view.addListener(listener);
        try {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            RunSnapshot s = view.snapshot();
            long sent = -1;
            while (true) {
                if (s != null && s.version() > sent) {
                    byte[] json = DashboardServer.JSON.writeValueAsBytes(s);
                    out.write("event: snapshot\ndata: ".getBytes(StandardCharsets.UTF_8));
                    out.write(json);
                    out.write("\n\n".getBytes(StandardCharsets.UTF_8));
                    sent = s.version();
                } else {
                    out.write(": keepalive\n\n".getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
                s = latest.poll(KEEPALIVE_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException clientGone) {
            // the browser closed the page; nothing to report
        } finally {
            view.removeListener(listener);
            slots.release();
        }
    }
}
