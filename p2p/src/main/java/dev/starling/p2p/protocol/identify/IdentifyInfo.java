package dev.starling.p2p.protocol.identify;

import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PublicKey;
import java.util.List;

/**
 * What a peer told us about itself with identify. Immutable.
 *
 * @param peer             the peer (from the connection, checked against {@code publicKey})
 * @param publicKey        its key, or null if it sent none
 * @param protocolVersion  for example {@code ipfs/0.1.0}
 * @param agentVersion     for example {@code js-libp2p/2.10.0}
 * @param listenAddresses  its listen addresses (unparseable ones dropped)
 * @param protocols        protocol ids it accepts
 * @param observedAddress  our address as it sees us, or null
 * @param signedRecord     true if it sent a valid signed peer record
 */
public record IdentifyInfo(PeerId peer, PublicKey publicKey, String protocolVersion, String agentVersion,
                           List<Multiaddr> listenAddresses, List<String> protocols, Multiaddr observedAddress,
                           boolean signedRecord) {
    /**
     * Copies the lists.
     *
     * @param peer            the peer
     * @param publicKey       its key
     * @param protocolVersion protocol version
     * @param agentVersion    agent version
     * @param listenAddresses listen addresses
     * @param protocols       protocols
     * @param observedAddress observed address
     * @param signedRecord    whether a valid record came
     */
    public IdentifyInfo {
        listenAddresses = List.copyOf(listenAddresses);
        protocols = List.copyOf(protocols);
    }
}
