package dev.starling.p2p.multiformats;

import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.MultiaddrProtocol;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Binary and text forms of {@link Multiaddr} (multiformats/multiaddr). Pure; thread-safe. */
public final class MultiaddrCodec {
    /** Most components we accept in one multiaddr. */
    public static final int MAX_COMPONENTS = 32;

    private MultiaddrCodec() {
    }

    /**
     * Parses the binary form.
     *
     * @param bytes the bytes
     * @return the multiaddr
     * @throws P2pException PROTOCOL_VIOLATION if malformed or longer than {@link Multiaddr#MAX_BYTES}
     */
    public static Multiaddr parseBytes(byte[] bytes) {
        if (bytes.length > Multiaddr.MAX_BYTES) throw P2pException.protocolViolation("multiaddr too long");
        List<Multiaddr.Component> list = new ArrayList<>();
        int[] pos = new int[1];
        int at = 0;
        while (at < bytes.length) {
            if (list.size() == MAX_COMPONENTS) throw P2pException.protocolViolation("too many multiaddr components");
            long code = Uvarint.read(bytes, at, pos);
            MultiaddrProtocol p = MultiaddrProtocol.ofCode((int) Math.min(code, Integer.MAX_VALUE));
            at = pos[0];
            int len;
            if (p.size() == MultiaddrProtocol.VARIABLE) {
                long l = Uvarint.read(bytes, at, pos);
                if (l > bytes.length - pos[0]) throw P2pException.protocolViolation("multiaddr value truncated");
                len = (int) l;
                at = pos[0];
            } else {
                len = p.size() / 8;
                if (len > bytes.length - at) throw P2pException.protocolViolation("multiaddr value truncated");
            }
            byte[] value = new byte[len];
            System.arraycopy(bytes, at, value, 0, len);
            at += len;
            checkValue(p, value);
            list.add(new Multiaddr.Component(p, value));
        }
        return new Multiaddr(list);
    }

    /**
     * Parses the text form.
     *
     * @param text the text, starting with '/'
     * @return the multiaddr
     * @throws P2pException PROTOCOL_VIOLATION if malformed
     */
    public static Multiaddr parseText(String text) {
        if (text.length() > 4 * Multiaddr.MAX_BYTES || !text.startsWith("/")) {
            throw P2pException.protocolViolation("multiaddr must start with '/': " + PeerIdCodec.abbreviate(text));
        }
        String[] parts = text.substring(1).split("/", -1);
        List<Multiaddr.Component> list = new ArrayList<>();
        int i = 0;
        while (i < parts.length) {
            if (parts[i].isEmpty() && i == parts.length - 1) break;
            MultiaddrProtocol p = MultiaddrProtocol.ofText(parts[i++]);
            byte[] value = new byte[0];
            if (p.size() != 0) {
                if (i >= parts.length) {
                    throw P2pException.protocolViolation("multiaddr /" + p.text() + " needs a value");
                }
                value = valueFromText(p, parts[i++]);
            }
            list.add(new Multiaddr.Component(p, value));
        }
        if (list.size() > MAX_COMPONENTS) throw P2pException.protocolViolation("too many multiaddr components");
        return new Multiaddr(list);
    }

    /**
     * Returns the binary form.
     *
     * @param addr the multiaddr
     * @return the bytes
     */
    public static byte[] toBytes(Multiaddr addr) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Multiaddr.Component c : addr.components()) {
            Uvarint.write(out, c.protocol().code());
            byte[] v = c.value();
            if (c.protocol().size() == MultiaddrProtocol.VARIABLE) Uvarint.write(out, v.length);
            out.writeBytes(v);
        }
        return out.toByteArray();
    }

    /**
     * Returns the text form of one value.
     *
     * @param p     the protocol
     * @param value the binary value
     * @return the text
     */
    public static String valueToText(MultiaddrProtocol p, byte[] value) {
        return switch (p) {
            case IP4 -> (value[0] & 0xff) + "." + (value[1] & 0xff) + "." + (value[2] & 0xff) + "." + (value[3] & 0xff);
            case IP6 -> ip6Text(value);
            case TCP, UDP -> Integer.toString(((value[0] & 0xff) << 8) | (value[1] & 0xff));
            case P2P -> Base58.encode(value);
            case CERTHASH -> "u" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(value);
            default -> p.size() == 0 ? "" : new String(value, StandardCharsets.UTF_8);
        };
    }

    private static String ip6Text(byte[] value) {
        try {
            return Inet6Address.getByAddress(null, value, null).getHostAddress();
        } catch (java.net.UnknownHostException e) {
            throw P2pException.protocolViolation("bad ip6 value");
        }
    }

    private static byte[] valueFromText(MultiaddrProtocol p, String text) {
        byte[] v = switch (p) {
            case IP4 -> ip4(text);
            case IP6 -> ip6(text);
            case TCP, UDP -> port(text);
            case P2P -> new PeerId(PeerIdCodec.parseText(text)).bytes();
            case CERTHASH -> certhash(text);
            default -> text.getBytes(StandardCharsets.UTF_8);
        };
        checkValue(p, v);
        return v;
    }

    private static byte[] certhash(String text) {
        if (!text.startsWith("u")) throw P2pException.protocolViolation("certhash must be base64url multibase");
        try {
            return java.util.Base64.getUrlDecoder().decode(text.substring(1));
        } catch (IllegalArgumentException e) {
            throw P2pException.protocolViolation("bad certhash: " + e.getMessage());
        }
    }

    private static byte[] ip4(String text) {
        String[] octets = text.split("\\.", -1);
        if (octets.length != 4) throw P2pException.protocolViolation("bad ip4 address '" + text + "'");
        byte[] v = new byte[4];
        for (int i = 0; i < 4; i++) {
            int o = parseDecimal(octets[i], 255, "ip4 octet");
            v[i] = (byte) o;
        }
        return v;
    }

    private static byte[] ip6(String text) {
        if (text.isEmpty() || text.length() > 45 || !text.matches("[0-9a-fA-F:.]+")) {
            throw P2pException.protocolViolation("bad ip6 address '" + PeerIdCodec.abbreviate(text) + "'");
        }
        try {
            java.net.InetAddress a = Inet6Address.ofLiteral(text);
            if (a instanceof Inet4Address) {
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(a.getAddress(), 0, mapped, 12, 4);
                return mapped;
            }
            return a.getAddress();
        } catch (IllegalArgumentException e) {
            throw P2pException.protocolViolation("bad ip6 address '" + text + "'");
        }
    }

    private static byte[] port(String text) {
        int port = parseDecimal(text, 65535, "port");
        return new byte[] {(byte) (port >>> 8), (byte) port};
    }

    private static int parseDecimal(String text, int max, String what) {
        if (text.isEmpty() || text.length() > 5 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw P2pException.protocolViolation("bad " + what + " '" + PeerIdCodec.abbreviate(text) + "'");
        }
        int v = Integer.parseInt(text);
        if (v > max) throw P2pException.protocolViolation(what + " out of range: " + v);
        return v;
    }

    private static void checkValue(MultiaddrProtocol p, byte[] value) {
        switch (p) {
            case P2P -> PeerIdCodec.checkMultihash(value);
            case DNS, DNS4, DNS6, DNSADDR, MEMORY -> {
                if (value.length == 0 || value.length > 255) {
                    throw P2pException.protocolViolation("bad /" + p.text() + " name length " + value.length);
                }
                String s;
                try {
                    s = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(value)).toString();
                } catch (java.nio.charset.CharacterCodingException e) {
                    throw P2pException.protocolViolation("/" + p.text() + " value is not UTF-8");
                }
                if (s.chars().anyMatch(c -> c == '/' || c < 0x20 || c == 0x7f)) {
                    throw P2pException.protocolViolation("'/' or a control character in /" + p.text() + " value");
                }
            }
            default -> {
            }
        }
    }
}
