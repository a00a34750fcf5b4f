package dev.starling.peer.cli;

import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Shared helpers of the {@code p2p} and {@code bench p2p} commands. Called from the command's thread. */
final class P2pSupport {
    private P2pSupport() {
    }

    /** Loads the key in {@code file}, or creates one there (mode 600) if the file does not exist. */
    static PrivateKey loadOrCreateKey(Path file) {
        if (file == null) return Keys.generateEd25519();
        try {
            if (Files.exists(file)) return Keys.unmarshalPrivateKey(Files.readAllBytes(file));
            PrivateKey key = Keys.generateEd25519();
            Files.write(file, key.marshal());
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system: keep the default permissions
            }
            System.err.println("p2p: created a new identity key in " + file);
            return key;
        } catch (IOException e) {
            throw new UserError("cannot read or write key file " + file + ": " + e.getMessage(), e);
        } catch (P2pException e) {
            throw new UserError("key file " + file + " is not a libp2p Ed25519 private key: " + e.getMessage(), e);
        }
    }

    /** Parses a multiaddr given by the user. */
    static Multiaddr parseAddress(String text) {
        try {
            return Multiaddr.fromString(text);
        } catch (P2pException e) {
            throw new UserError("bad multiaddr '" + text + "': " + e.getMessage()
                    + " (example: /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...)", e);
        }
    }

    /** Expands a wildcard listen address into this machine's IPv4 addresses. */
    static List<Multiaddr> dialable(Multiaddr bound) {
        String ip = bound.valueOf(dev.starling.p2p.core.MultiaddrProtocol.IP4).orElse("");
        if (!"0.0.0.0".equals(ip)) return List.of(bound);
        String port = bound.valueOf(dev.starling.p2p.core.MultiaddrProtocol.TCP).orElse("0");
        List<Multiaddr> out = new ArrayList<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp()) continue;
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        out.add(Multiaddr.fromString("/ip4/" + a.getHostAddress() + "/tcp/" + port));
                    }
                }
            }
        } catch (SocketException e) {
            return List.of(bound);
        }
        return out.isEmpty() ? List.of(bound) : out;
    }
}
