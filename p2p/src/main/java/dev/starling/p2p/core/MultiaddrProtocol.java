package dev.starling.p2p.core;

/**
 * The multiaddr protocols Starling understands, with their codes and value sizes from
 * multiformats/multiaddr {@code protocols.csv}. Size {@link #VARIABLE} means a uvarint length prefix.
 */
public enum MultiaddrProtocol {
    /** IPv4 address, 4 bytes. */
    IP4(4, 32, "ip4"),
    /** TCP port, 2 bytes big endian. */
    TCP(6, 16, "tcp"),
    /** UDP port, 2 bytes big endian. */
    UDP(273, 16, "udp"),
    /** IPv6 address, 16 bytes. */
    IP6(41, 128, "ip6"),
    /** DNS name resolved to any address family. */
    DNS(53, -1, "dns"),
    /** DNS name resolved to IPv4. */
    DNS4(54, -1, "dns4"),
    /** DNS name resolved to IPv6. */
    DNS6(55, -1, "dns6"),
    /** DNSADDR TXT-record name. */
    DNSADDR(56, -1, "dnsaddr"),
    /** Peer id multihash. */
    P2P(421, -1, "p2p"),
    /** Circuit relay marker. */
    P2P_CIRCUIT(290, 0, "p2p-circuit"),
    /** TLS marker. */
    TLS(448, 0, "tls"),
    /** Noise marker. */
    NOISE(454, 0, "noise"),
    /** QUIC v1 marker. */
    QUIC_V1(461, 0, "quic-v1"),
    /** WebSocket marker. */
    WS(477, 0, "ws"),
    /** WebTransport marker. */
    WEBTRANSPORT(465, 0, "webtransport"),
    /** Certificate hash (multibase multihash). */
    CERTHASH(466, -1, "certhash"),
    /** Starling's in-memory transport: the value is a UTF-8 name within one {@code MemoryNetwork}. */
    MEMORY(777, -1, "memory");

    /** Size marker for protocols whose value carries a uvarint length prefix. */
    public static final int VARIABLE = -1;

    private final int code;
    private final int size;
    private final String text;

    MultiaddrProtocol(int code, int size, String text) {
        this.code = code;
        this.size = size;
        this.text = text;
    }

    /**
     * Returns the multicodec code.
     *
     * @return the code
     */
    public int code() {
        return code;
    }

    /**
     * Returns the value size in bits, 0 for none, or {@link #VARIABLE}.
     *
     * @return the size
     */
    public int size() {
        return size;
    }

    /**
     * Returns the text name.
     *
     * @return for example {@code ip4}
     */
    public String text() {
        return text;
    }

    /**
     * Looks a protocol up by code.
     *
     * @param code the multicodec code
     * @return the protocol
     * @throws P2pException PROTOCOL_VIOLATION if unknown
     */
    public static MultiaddrProtocol ofCode(int code) {
        for (MultiaddrProtocol p : values()) {
            if (p.code == code) return p;
        }
        throw P2pException.protocolViolation("unknown multiaddr protocol code " + code);
    }

    /**
     * Looks a protocol up by text name ({@code ipfs} is accepted for {@code p2p}).
     *
     * @param name the text name
     * @return the protocol
     * @throws P2pException PROTOCOL_VIOLATION if unknown
     */
    public static MultiaddrProtocol ofText(String name) {
        if ("ipfs".equals(name)) return P2P;
        for (MultiaddrProtocol p : values()) {
            if (p.text.equals(name)) return p;
        }
        throw P2pException.protocolViolation("unknown multiaddr protocol '" + name + "'");
    }
}
