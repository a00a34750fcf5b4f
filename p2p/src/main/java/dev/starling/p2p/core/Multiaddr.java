package dev.starling.p2p.core;

import dev.starling.p2p.multiformats.MultiaddrCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A multiaddr: a list of (protocol, value) components such as {@code /ip4/127.0.0.1/tcp/4001/p2p/12D3...}.
 * Immutable and thread-safe. Binary and text forms follow multiformats/multiaddr.
 *
 * @param components the components in order; copied
 */
public record Multiaddr(List<Component> components) {
    /** Largest binary multiaddr we parse from the wire. */
    public static final int MAX_BYTES = 1024;

    /**
     * Copies the component list.
     *
     * @param components the components in order
     */
    public Multiaddr {
        components = List.copyOf(components);
    }

    /**
     * One component: a protocol and its binary value (empty for zero-size protocols).
     *
     * @param protocol the protocol
     * @param value    the binary value as on the wire (without the length prefix of variable protocols)
     */
    public record Component(MultiaddrProtocol protocol, byte[] value) {
        /**
         * Copies the value.
         *
         * @param protocol the protocol
         * @param value    the binary value
         */
        public Component {
            value = value.clone();
        }

        /**
         * Returns the binary value.
         *
         * @return a fresh copy
         */
        @Override
        public byte[] value() {
            return value.clone();
        }

        /**
         * Returns the value's text form (e.g. {@code 127.0.0.1}, {@code 4001}, a base58 peer id).
         *
         * @return the text, empty for zero-size protocols
         */
        public String valueText() {
            return MultiaddrCodec.valueToText(protocol, value);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Component c && c.protocol == protocol && Arrays.equals(c.value, value);
        }

        @Override
        public int hashCode() {
            return protocol.hashCode() * 31 + Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return "/" + protocol.text() + (protocol.size() == 0 ? "" : "/" + valueText());
        }
    }

    /**
     * Parses the text form.
     *
     * @param text for example {@code /ip4/1.2.3.4/tcp/80}
     * @return the multiaddr
     * @throws P2pException PROTOCOL_VIOLATION if malformed
     */
    public static Multiaddr fromString(String text) {
        return MultiaddrCodec.parseText(text);
    }

    /**
     * Parses the binary form.
     *
     * @param bytes the binary form, at most {@link #MAX_BYTES}
     * @return the multiaddr
     * @throws P2pException PROTOCOL_VIOLATION if malformed
     */
    public static Multiaddr fromBytes(byte[] bytes) {
        return MultiaddrCodec.parseBytes(bytes);
    }

    /**
     * Returns the binary form.
     *
     * @return a fresh array
     */
    public byte[] toBytes() {
        return MultiaddrCodec.toBytes(this);
    }

    /**
     * Returns the value text of the first component with {@code protocol}.
     *
     * @param protocol the protocol to look for
     * @return its value, or empty
     */
    public Optional<String> valueOf(MultiaddrProtocol protocol) {
        for (Component c : components) {
            if (c.protocol() == protocol) return Optional.of(c.valueText());
        }
        return Optional.empty();
    }

    /**
     * Returns the peer id of the last {@code /p2p/} component, if any.
     *
     * @return the peer id, or empty
     */
    public Optional<PeerId> peerId() {
        PeerId found = null;
        for (Component c : components) {
            if (c.protocol() == MultiaddrProtocol.P2P) found = new PeerId(c.value());
        }
        return Optional.ofNullable(found);
    }

    /**
     * Returns this address with {@code /p2p/<peer>} appended.
     *
     * @param peer the peer id
     * @return a new multiaddr
     */
    public Multiaddr withPeerId(PeerId peer) {
        List<Component> list = new ArrayList<>(components);
        list.add(new Component(MultiaddrProtocol.P2P, peer.bytes()));
        return new Multiaddr(list);
    }

    /**
     * Returns this address without a trailing {@code /p2p/...} component.
     *
     * @return a new multiaddr, or this one if it has no trailing peer id
     */
    public Multiaddr withoutPeerId() {
        if (components.isEmpty() || components.getLast().protocol() != MultiaddrProtocol.P2P) return this;
        return new Multiaddr(components.subList(0, components.size() - 1));
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Component c : components) sb.append(c);
        return sb.toString();
    }
}
