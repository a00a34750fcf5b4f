package dev.starling.collectives.mesh;

import dev.starling.collectives.CollectivesException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What peers gossip on a run's round topic to form a group: {@link Ready} when a peer has finished its
 * inner phase, {@link Roster} when a round's leader fixes the group, and {@link Confirm} when a peer has settled on
 * a roster (members reduce only once every member confirmed the same roster). The author of each message is
 * the gossip message's {@code from}, which gossipsub's strict signing authenticates (the message is signed with
 * the author's host key and dropped unverified): a roster is therefore signed by its leader.
 *
 * <p>Wire form (big-endian): {@code u8 type | u64 round | body}; Ready's body is
 * {@code u64 samples | u16 len | UTF-8 base hash | u16 n | n × (u16 len | UTF-8 multiaddr)}; Roster's body is
 * {@code u16 len | UTF-8 base hash | u16 n | n × (u16 len | peer id bytes | u64 samples | u16 m |
 * m × (u16 len | UTF-8 multiaddr))}; Confirm's body is {@code u16 len | UTF-8 roster hash}.
 * Every count and length is checked against the caps before anything is allocated.
 */
public sealed interface RoundMessage permits RoundMessage.Ready, RoundMessage.Roster, RoundMessage.Confirm {
    /** Largest encoded message. */
    int MAX_BYTES = 256 * 1024;
    /** Most members in a roster. */
    int MAX_MEMBERS = 1024;
    /** Most addresses per peer. */
    int MAX_ADDRESSES = 8;
    /** Longest address or peer id. */
    int MAX_FIELD_BYTES = 1024;

    /**
     * The round this message is about.
     *
     * @return the round number
     */
    long round();

    /**
     * A peer finished round {@code round}'s inner phase and is ready to reduce.
     *
     * @param round     the round
     * @param samples   samples it processed this round (its weight)
     * @param baseHash  the hash of the θ_global it starts the round from (members must share it)
     * @param addresses where it can be dialed
     */
    record Ready(long round, long samples, String baseHash, List<String> addresses) implements RoundMessage {
        /** Copies the list. */
        public Ready {
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * The group of round {@code round}, in roster order (member i reduces part i).
     *
     * @param round    the round
     * @param baseHash the θ_global hash every member starts the round from
     * @param members  the members
     */
    record Roster(long round, String baseHash, List<Member> members) implements RoundMessage {
        /** Copies the list. */
        public Roster {
            members = List.copyOf(members);
        }
    }

    /**
     * A peer settled on a roster for round {@code round}: the members of that roster reduce only when every one of
     * them confirmed the same roster hash, so that two rosters for one round cannot both complete.
     *
     * @param round      the round
     * @param rosterHash {@link #rosterHash} of the roster it settled on (hex)
     */
    record Confirm(long round, String rosterHash) implements RoundMessage {
    }

    /**
     * The hash that identifies a roster in {@link Confirm}: SHA-256 of its encoding, in hex.
     *
     * @param roster the roster
     * @return 64 hex digits
     */
    static String rosterHash(Roster roster) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(encode(roster)));
        } catch (NoSuchAlgorithmException e) {
            throw CollectivesException.internal("no SHA-256: " + e.getMessage());
        }
    }

    /**
     * One roster member.
     *
     * @param peerId    its peer id bytes
     * @param samples   samples it processed this round (its weight in the aggregate)
     * @param addresses where it can be dialed
     */
    record Member(byte[] peerId, long samples, List<String> addresses) {
        /** Copies the arrays. */
        public Member {
            peerId = peerId.clone();
            addresses = List.copyOf(addresses);
        }

        @Override
        public byte[] peerId() {
            return peerId.clone();
        }
    }

    /**
     * The members' aggregation weights, the samples each processed this round, in roster order.
     *
     * @param members the members taking part (a roster's, less any left out alike by every member)
     * @return the weights, or null when all are equal (plain averaging, bit for bit as before weights existed)
     */
    static double[] weights(List<Member> members) {
        boolean equal = members.stream().mapToLong(Member::samples).distinct().count() <= 1;
        return equal ? null : members.stream().mapToDouble(Member::samples).toArray();
    }

    /**
     * Encodes a message.
     *
     * @param message the message
     * @return its bytes
     */
    static byte[] encode(RoundMessage message) {
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(); DataOutputStream out =
                new DataOutputStream(bytes)) {
            switch (message) {
                case Ready r -> {
                    out.writeByte(1);
                    out.writeLong(r.round());
                    out.writeLong(r.samples());
                    writeString(out, r.baseHash());
                    writeStrings(out, r.addresses());
                }
                case Roster r -> {
                    out.writeByte(2);
                    out.writeLong(r.round());
                    writeString(out, r.baseHash());
                    out.writeShort(r.members().size());
                    for (Member m : r.members()) {
                        out.writeShort(m.peerId.length);
                        out.write(m.peerId);
                        out.writeLong(m.samples());
                        writeStrings(out, m.addresses());
                    }
                }
                case Confirm c -> {
                    out.writeByte(3);
                    out.writeLong(c.round());
                    writeString(out, c.rosterHash());
                }
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw CollectivesException.internal("cannot encode a round message: " + e.getMessage());
        }
    }

    private static void writeStrings(DataOutputStream out, List<String> values) throws IOException {
        out.writeShort(values.size());
        for (String v : values) {
            writeString(out, v);
        }
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        out.writeShort(b.length);
        out.write(b);
    }

    /**
     * Decodes a message from a remote peer.
     *
     * @param bytes the message
     * @return the message
     * @throws CollectivesException BAD_PEER (protocol violation) if malformed or over a cap
     */
    static RoundMessage decode(byte[] bytes) {
        if (bytes.length > MAX_BYTES) {
            throw CollectivesException.protocolViolation("round message of " + bytes.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            int type = in.get();
            long round = in.getLong();
            RoundMessage message = switch (type) {
                case 1 -> new Ready(round, nonNegative(in.getLong()), readString(in), readStrings(in));
                case 2 -> {
                    String baseHash = readString(in);
                    int n = count(in, MAX_MEMBERS);
                    List<Member> members = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        members.add(new Member(field(in), nonNegative(in.getLong()), readStrings(in)));
                    }
                    yield new Roster(round, baseHash, members);
                }
                case 3 -> new Confirm(round, readString(in));
                default -> throw CollectivesException.protocolViolation("unknown round message type " + type);
            };
            if (in.hasRemaining()) {
                throw CollectivesException.protocolViolation(in.remaining() + " trailing bytes in a round message");
            }
            return message;
        } catch (BufferUnderflowException e) {
            throw CollectivesException.protocolViolation("truncated round message");
        }
    }

    private static int count(ByteBuffer in, int max) {
        int n = Short.toUnsignedInt(in.getShort());
        if (n > max) {
            throw CollectivesException.protocolViolation("round message count " + n + " over " + max);
        }
        return n;
    }

    private static byte[] field(ByteBuffer in) {
        int length = count(in, MAX_FIELD_BYTES);
        if (length > in.remaining()) {
            throw CollectivesException.protocolViolation("round message field of " + length + " bytes truncated");
        }
        byte[] b = new byte[length];
        in.get(b);
        return b;
    }

    private static List<String> readStrings(ByteBuffer in) {
        int n = count(in, MAX_ADDRESSES);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(readString(in));
        }
        return out;
    }

    private static String readString(ByteBuffer in) {
        return new String(field(in), StandardCharsets.UTF_8);
    }

    private static long nonNegative(long samples) {
        if (samples < 0) {
            throw CollectivesException.protocolViolation("negative sample count " + samples);
        }
        return samples;
    }
}
