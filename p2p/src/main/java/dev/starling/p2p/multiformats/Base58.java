package dev.starling.p2p.multiformats;

import dev.starling.p2p.core.P2pException;
import java.math.BigInteger;
import java.util.Arrays;

/** base58btc (the Bitcoin alphabet) as used by peer ids. Pure functions; thread-safe. */
public final class Base58 {
    private static final String ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final int[] INDEXES = new int[128];
    /** Longest text we decode; bounds the work a peer can cause. */
    public static final int MAX_TEXT = 512;

    static {
        Arrays.fill(INDEXES, -1);
        for (int i = 0; i < ALPHABET.length(); i++) INDEXES[ALPHABET.charAt(i)] = i;
    }

    private Base58() {
    }

    /**
     * Encodes bytes.
     *
     * @param input the bytes
     * @return the base58btc text
     */
    public static String encode(byte[] input) {
        int zeros = 0;
        while (zeros < input.length && input[zeros] == 0) zeros++;
        String digits = input.length == zeros ? "" : toDigits(new BigInteger(1, input));
        return "1".repeat(zeros) + digits;
    }

    private static String toDigits(BigInteger value) {
        StringBuilder sb = new StringBuilder();
        BigInteger base = BigInteger.valueOf(58);
        BigInteger v = value;
        while (v.signum() > 0) {
            BigInteger[] qr = v.divideAndRemainder(base);
            sb.append(ALPHABET.charAt(qr[1].intValue()));
            v = qr[0];
        }
        return sb.reverse().toString();
    }

    /**
     * Decodes text.
     *
     * @param text base58btc text, at most {@link #MAX_TEXT} characters
     * @return the bytes
     * @throws P2pException PROTOCOL_VIOLATION on a bad character or over-long input
     */
    public static byte[] decode(String text) {
        if (text.length() > MAX_TEXT) throw P2pException.protocolViolation("base58 text too long: " + text.length());
        int zeros = 0;
        while (zeros < text.length() && text.charAt(zeros) == '1') zeros++;
        BigInteger v = BigInteger.ZERO;
        BigInteger base = BigInteger.valueOf(58);
        for (int i = zeros; i < text.length(); i++) {
            char c = text.charAt(i);
            int d = c < 128 ? INDEXES[c] : -1;
            if (d < 0) throw P2pException.protocolViolation("bad base58 character '" + c + "'");
            v = v.multiply(base).add(BigInteger.valueOf(d));
        }
        byte[] mag = v.signum() == 0 ? new byte[0] : v.toByteArray();
        int skip = mag.length > 0 && mag[0] == 0 ? 1 : 0;
        byte[] out = new byte[zeros + mag.length - skip];
        System.arraycopy(mag, skip, out, zeros, mag.length - skip);
        return out;
    }
}
