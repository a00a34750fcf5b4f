package dev.starling.collectives.verify;

import dev.starling.collectives.aggregate.Aggregator;
import dev.starling.collectives.butterfly.ButterflyMember;
import dev.starling.collectives.butterfly.ButterflyResult;
import dev.starling.collectives.butterfly.PartSplit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Runs the {@link ReducerAudit} of a butterfly round whose members all live in this JVM (tests and the byzantine
 * experiment): every message is broadcast to every other member, in the protocol's order, and its size counted as
 * sent once per recipient. A {@code tamper} hook sees every outgoing message and may replace or drop it, which is how
 * tests and experiments make a member lie. Owner: one thread.
 */
public final class LocalAudit {
    private LocalAudit() {
    }

    /**
     * What the audit of a round produced.
     *
     * @param outcomes  each member's outcome, in roster order ({@code null} for members without a result)
     * @param bytesSent audit bytes each member sent (all recipients counted)
     */
    public record Report(ReducerAudit.Outcome[] outcomes, long[] bytesSent) {
        /**
         * Total audit bytes.
         *
         * @return the sum over members
         */
        public long totalBytes() {
            long sum = 0;
            for (long b : bytesSent) {
                sum += b;
            }
            return sum;
        }
    }

    /**
     * Settings every member's audit shares.
     *
     * @param runIdHash     run id hash
     * @param round         round
     * @param vectorLength  elements in the vector
     * @param split         the part split
     * @param verifier      the check
     * @param reReducer     the honest rule
     * @param memberEpsilon projection tolerance for members
     */
    public record Settings(long runIdHash, long round, int vectorLength, PartSplit split,
                           CenteredClipVerifier verifier, Aggregator reReducer, double memberEpsilon) {
    }

    /**
     * Audits one finished round.
     *
     * @param settings shared settings
     * @param members  the round's members (for the contributions they sent)
     * @param results  their results (a member without one takes no part)
     * @param tamper   sees each outgoing message; returns it, a replacement, or {@code null} to drop it
     * @param extra    messages to inject after the honest accusations (false accusations, a reveal nobody asked for)
     * @return the outcomes and bytes
     */
    public static Report run(final Settings settings, final ButterflyMember[] members,
                             final ButterflyResult[] results, final UnaryOperator<AuditMessage> tamper,
                             final List<? extends AuditMessage> extra) {
        int n = members.length;
        ReducerAudit[] audits = new ReducerAudit[n];
        long[] bytes = new long[n];
        List<AuditMessage> wire = new ArrayList<>();
        for (int m = 0; m < n; m++) {
            if (results[m] != null) {
                audits[m] = new ReducerAudit(n, m, settings.split(), settings.vectorLength(), settings.runIdHash(),
                    settings.round(), settings.verifier(), settings.reReducer(), settings.memberEpsilon());
                float[][] sent = new float[n][];
                for (int p = 0; p < n; p++) {
                    sent[p] = members[m].sentPart(p);
                }
                wire.add(audits[m].commit(sent));
            }
        }
        deliver(audits, wire, tamper, bytes);
        for (int m = 0; m < n; m++) {
            if (audits[m] != null) {
                float[][] reducedFrom = new float[n][];
                for (int i = 0; i < n; i++) {
                    reducedFrom[i] = members[m].reducedContribution(i);
                }
                wire.add(audits[m].project(results[m].aggregate(), reducedFrom));
            }
        }
        deliver(audits, wire, tamper, bytes);
        for (ReducerAudit a : audits) {
            if (a != null) {
                wire.addAll(a.accusations());
            }
        }
        wire.addAll(extra);
        deliver(audits, wire, tamper, bytes);
        for (ReducerAudit a : audits) {
            if (a != null) {
                wire.addAll(a.reveals());
            }
        }
        deliver(audits, wire, tamper, bytes);
        ReducerAudit.Outcome[] outcomes = new ReducerAudit.Outcome[n];
        for (int m = 0; m < n; m++) {
            outcomes[m] = audits[m] == null ? null : audits[m].conclude();
        }
        return new Report(outcomes, bytes);
    }

    /** Broadcasts the queued messages (the sender already holds its own) and empties the queue. */
    private static void deliver(final ReducerAudit[] audits, final List<AuditMessage> wire,
                                final UnaryOperator<AuditMessage> tamper, final long[] bytes) {
        for (AuditMessage original : wire) {
            AuditMessage msg = tamper.apply(original);
            if (msg == null) {
                continue;
            }
            for (int to = 0; to < audits.length; to++) {
                if (to == original.member() || audits[to] == null) {
                    continue;
                }
                if (original.member() >= 0 && original.member() < bytes.length) {
                    bytes[original.member()] += msg.wireBytes(); // an injected outsider's bytes are not the group's
                }
                switch (msg) {
                    case AuditMessage.Commitment c -> audits[to].onCommitment(c);
                    case AuditMessage.Projections p -> audits[to].onProjections(p);
                    case AuditMessage.Accusation a -> audits[to].onAccusation(a);
                    case AuditMessage.Reveal r -> audits[to].onReveal(r);
                    case AuditMessage.Receipts r -> audits[to].onReceipts(r);
                }
            }
        }
        wire.clear();
    }
}
