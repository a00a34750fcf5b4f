package dev.starling.training.diloco;

import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.Outgoing;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;

/**
 * Runs a butterfly round among members that live in this JVM: single-threaded, with a manual clock and a FIFO
 * queue of chunks, so a round is fully deterministic. Members start in roster order; chunks are delivered in the
 * order they were produced; when nothing is in flight and some member is still waiting, the clock jumps to the next
 * deadline and every live member is ticked. Bytes sent are counted per member as the chunk sizes (56-byte header plus
 * payload), which is what a transport would carry before its own framing.
 *
 * <p>Failures are injected with {@link #crashAfter}: the member sends that many chunks of the next round and then
 * dies (it sends and receives nothing more and has no result), the way a peer killed mid-round looks to the others.
 *
 * <p>Owner: one thread (the simulation's); not thread-safe.
 */
public final class InProcessExchange implements GroupExchange {
    private final long timeoutNanos;
    private long now;
    private int crashMember = -1;
    private int crashBudget;

    /**
     * Creates an exchange whose clock starts at 0.
     *
     * @param timeoutNanos time from a round's start to its reduce deadline (and again to its gather deadline)
     */
    public InProcessExchange(final long timeoutNanos) {
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeoutNanos);
        }
        this.timeoutNanos = timeoutNanos;
    }

    /**
     * Makes a member of the next round die after sending {@code chunks} chunks (0: before sending anything).
     *
     * @param member roster index in the next round
     * @param chunks chunks it gets out before it dies
     */
    public void crashAfter(final int member, final int chunks) {
        if (member < 0 || chunks < 0) {
            throw new IllegalArgumentException("member and chunk count must be >= 0, got " + member + ", " + chunks);
        }
        crashMember = member;
        crashBudget = chunks;
    }

    /**
     * The manual clock.
     *
     * @return nanoseconds since this exchange was created, in simulated time
     */
    public long nowNanos() {
        return now;
    }

    @Override
    public Deadlines nextDeadlines() {
        return new Deadlines(now + timeoutNanos, now + 2 * timeoutNanos);
    }

    @Override
    public ExchangeReport run(final ButterflyMember[] members, final float[][] updates) {
        int n = members.length;
        if (updates.length != n) {
            throw new IllegalArgumentException(n + " members but " + updates.length + " updates");
        }
        Deadlines deadlines = nextDeadlines();
        long[] bytes = new long[n];
        int[] chunks = new int[n];
        int[] budget = new int[n];
        Arrays.fill(budget, Integer.MAX_VALUE);
        if (crashMember >= 0 && crashMember < n) {
            budget[crashMember] = crashBudget;
        }
        crashMember = -1;
        boolean[] dead = new boolean[n];
        ArrayDeque<InFlight> queue = new ArrayDeque<>();
        for (int m = 0; m < n; m++) {
            send(m, members[m].start(updates[m], now), queue, budget, dead, bytes, chunks);
        }
        long[] ticks = {deadlines.reduceNanos(), deadlines.gatherNanos()};
        int nextTick = 0;
        while (true) {
            while (!queue.isEmpty()) {
                InFlight c = queue.poll();
                if (dead[c.to()]) {
                    continue; // A chunk already on the wire still reaches a live member after its sender died.
                }
                send(c.to(), members[c.to()].onChunk(c.from(), c.chunk(), now), queue, budget, dead, bytes, chunks);
            }
            if (allDone(members, dead)) {
                break;
            }
            if (nextTick == ticks.length) {
                throw new IllegalStateException("butterfly round did not finish after its gather deadline");
            }
            now = ticks[nextTick++];
            for (int m = 0; m < n; m++) {
                if (!dead[m]) {
                    send(m, members[m].onTick(now), queue, budget, dead, bytes, chunks);
                }
            }
        }
        ButterflyResult[] results = new ButterflyResult[n];
        for (int m = 0; m < n; m++) {
            results[m] = dead[m] ? null : members[m].result();
        }
        return new ExchangeReport(results, bytes, chunks);
    }

    private static void send(final int from, final List<Outgoing> out, final ArrayDeque<InFlight> queue,
                             final int[] budget, final boolean[] dead, final long[] bytes, final int[] chunks) {
        for (Outgoing o : out) {
            if (dead[from]) {
                return;
            }
            if (budget[from] == 0) {
                dead[from] = true;
                return;
            }
            budget[from]--;
            bytes[from] += o.chunk().byteSize();
            chunks[from]++;
            queue.add(new InFlight(from, o.to(), o.chunk()));
        }
        if (budget[from] == 0) {
            dead[from] = true;
        }
    }

    private static boolean allDone(final ButterflyMember[] members, final boolean[] dead) {
        for (int m = 0; m < members.length; m++) {
            if (!dead[m] && members[m].phase() != ButterflyMember.Phase.DONE) {
                return false;
            }
        }
        return true;
    }

    /** A chunk on the wire. */
    private record InFlight(int from, int to, MemorySegment chunk) {
    }
}
