package dev.starling.peer.node;

import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.peer.cli.UserError;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Parses the network flags shared by {@code peer} and {@code coordinator}, with one-line errors. */
public final class NodeOptions {
    private NodeOptions() {
    }

    /**
     * Parses multiaddr flag values.
     *
     * @param flag   the flag's name, for the message
     * @param values the values given
     * @return the parsed multiaddrs
     * @throws UserError naming the flag and the bad value
     */
    public static List<Multiaddr> multiaddrs(String flag, List<String> values) {
        List<Multiaddr> out = new ArrayList<>();
        for (String value : values == null ? List.<String>of() : values) {
            try {
                out.add(Multiaddr.fromString(value));
            } catch (P2pException | IllegalArgumentException e) {
                throw new UserError(flag + " " + value + " is not a multiaddr (" + e.getMessage()
                        + "); for example /ip4/127.0.0.1/tcp/4001", e);
            }
        }
        return out;
    }

    /**
     * Parses {@code --relay} values into the addresses to listen on through those relays ({@code RELAY/p2p-circuit}).
     *
     * @param relays relay multiaddrs, each ending in {@code /p2p/<relay id>}
     * @return one {@code …/p2p/<relay id>/p2p-circuit} address per relay
     * @throws UserError naming the bad value
     */
    public static List<Multiaddr> relayListenAddresses(List<String> relays) {
        List<Multiaddr> out = new ArrayList<>();
        for (Multiaddr relay : multiaddrs("--relay", relays)) {
            if (relay.peerId().isEmpty() || relay.toString().contains("/p2p-circuit")) {
                throw new UserError("--relay " + relay + " must be the relay's own address ending in /p2p/<relay id>,"
                        + " for example /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW...");
            }
            out.add(Multiaddr.fromString(relay + "/p2p-circuit"));
        }
        return out;
    }

    /**
     * Parses {@code HOST:PORT}.
     *
     * @param flag  the flag's name, for the message
     * @param value the value given
     * @return the unresolved-if-needed socket address
     * @throws UserError naming the flag and the bad value
     */
    public static InetSocketAddress hostPort(String flag, String value) {
        int colon = value.lastIndexOf(':');
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (colon <= 0 || port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(value.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new UserError(flag + " " + value + " must be HOST:PORT, for example 127.0.0.1:8080", e);
        }
    }
}
