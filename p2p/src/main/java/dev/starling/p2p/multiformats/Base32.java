package dev.starling.p2p.multiformats;

import dev.starling.p2p.core.P2pException;
import java.io.ByteArrayOutputStream;

/** RFC 4648 base32, lower case, no padding (multibase 'b'). Pure; thread-safe. */
public final class Base32 {
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

    private Base32() {
    }

    /**
     * Decodes unpadded lower-case base32.
     *
     * @param text the text, at most {@link Base58#MAX_TEXT} characters
     * @return the bytes
     * @throws P2pException PROTOCOL_VIOLATION on a bad character
     */
    public static byte[] decode(String text) {
        if (text.length() > Base58.MAX_TEXT) throw P2pException.protocolViolation("base32 text too long");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int buffer = 0;
        int bits = 0;
        for (int i = 0; i < text.length(); i++) {
            int v = ALPHABET.indexOf(text.charAt(i));
            if (v < 0) throw P2pException.protocolViolation("bad base32 character '" + text.charAt(i) + "'");
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >>> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }

    /**
     * Encodes bytes as unpadded lower-case base32.
     *
     * @param bytes the bytes
     * @return the text
     */
    public static String encode(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(ALPHABET.charAt((buffer >>> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) sb.append(ALPHABET.charAt((buffer << (5 - bits)) & 31));
        return sb.toString();
    }
}
