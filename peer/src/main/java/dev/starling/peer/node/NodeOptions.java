package dev.starling.peer.node;

import dev.starling.collectives.attack.PeerAttack;
import dev.starling.collectives.attack.SelfAttack;
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

    /**
     * Parses {@code --attack NAME} into the attacker a mesh peer runs.
     *
     * @param name the attack's name, or {@code null} for an honest peer
     * @param seed the noise seed
     * @return the attacker, or {@code null}
     * @throws UserError for an unknown name or one the mesh cannot run, listing the valid names
     */
    public static SelfAttack attack(String name, long seed) {
        if (name == null) {
            return null;
        }
        PeerAttack attack = PeerAttack.fromName(name).filter(PeerAttack::onMesh).orElseThrow(() -> new UserError(
                "--attack " + name + " is not an attack a peer can mount; use one of " + PeerAttack.names(true)));
        return new SelfAttack(attack, seed, LYING_REDUCER_SHIFT);
    }

    /** What {@code --attack lying-reducer} adds to every coordinate of the part it reduces. */
    static final float LYING_REDUCER_SHIFT = 0.01f;
}
