package dev.starling.collectives.verify;

import dev.starling.collectives.butterfly.ContributionSeal;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One member's {@link ContributionSeal} for one round: it signs each contribution it sends with its identity key and
 * posts the signature to a {@link Board}, and as reducer checks each contribution it received against the
 * signature its sender posted. Owner: the member's thread.
 */
public final class SignedContributions implements ContributionSeal {
    private final String runId;
    private final long round;
    private final List<String> roster;
    private final int self;
    private final PrivateKey key;
    private final Function<String, PublicKey> keys;
    private final Board board;

    /**
     * Where signatures travel between members. The in-process board below is what experiments and tests use.
     */
    public interface Board {
        /**
         * A sender posts its signature for the contribution to {@code part}.
         *
         * @param sender    the sender's roster index
         * @param part      the part
         * @param signature the signature
         */
        void post(int sender, int part, byte[] signature);

        /**
         * The signature {@code sender} posted for {@code part}.
         *
         * @param sender the sender's roster index
         * @param part   the part
         * @return the bytes, or null if none arrived
         */
        byte[] signatureOf(int sender, int part);
    }

    /**
     * Signatures of one round in this JVM, with the bytes they would cost on the wire. A test or attacker may
     * rewrite what a sender posts ({@link #tamper}). Owner: the simulation's thread.
     */
    public static final class InProcessBoard implements Board {
        private final Map<Long, byte[]> posted = new HashMap<>();
        private Tamper tamper = (sender, part, signature) -> signature;
        private long bytes;

        /** Rewrites a posted signature; returns what actually goes on the board (null: nothing). */
        @FunctionalInterface
        public interface Tamper {
            /**
             * Rewrites one posted signature.
             *
             * @param sender    the sender
             * @param part      the part
             * @param signature what the sender posted
             * @return what arrives, or null for nothing
             */
            byte[] apply(int sender, int part, byte[] signature);
        }

        /**
         * Installs a rewrite of later posts.
         *
         * @param rewrite the rewrite
         */
        public void tamper(final Tamper rewrite) {
            this.tamper = rewrite;
        }

        @Override
        public void post(final int sender, final int part, final byte[] signature) {
            byte[] arrives = tamper.apply(sender, part, signature);
            bytes += signature.length; // the sender pays for what it sent
            if (arrives != null) {
                posted.put(key(sender, part), arrives.clone());
            }
        }

        @Override
        public byte[] signatureOf(final int sender, final int part) {
            return posted.get(key(sender, part));
        }

        /**
         * Signature bytes sent so far.
         *
         * @return the bytes
         */
        public long bytes() {
            return bytes;
        }

        private static long key(final int sender, final int part) {
            return ((long) sender << 32) | (part & 0xffffffffL);
        }
    }

    /**
     * Creates the seal.
     *
     * @param runId  the run id
     * @param round  the round
     * @param roster the roster's ids, in order
     * @param self   this member's index
     * @param key    this member's identity key
     * @param keys   public key by roster id (null if unknown); on the mesh, {@link ContributionSignature#keyOf}
     * @param board  where signatures travel
     */
    public SignedContributions(final String runId, final long round, final List<String> roster, final int self,
                               final PrivateKey key, final Function<String, PublicKey> keys, final Board board) {
        this.runId = runId;
        this.round = round;
        this.roster = List.copyOf(roster);
        this.self = self;
        this.key = key;
        this.keys = keys;
        this.board = board;
    }

    @Override
    public void sealed(final int part, final byte[] digest) {
        byte[] message = ContributionSignature.message(runId, round, part, roster.get(self), digest);
        board.post(self, part, ContributionSignature.sign(key, message));
    }

    @Override
    public String check(final int sender, final int part, final byte[] digest) {
        String id = roster.get(sender);
        byte[] message = ContributionSignature.message(runId, round, part, id, digest);
        return ContributionSignature.refusal(keys.apply(id), message, board.signatureOf(sender, part));
    }
}
