package dev.starling.p2p.transport.tcp;

import dev.starling.p2p.core.Connection;
import dev.starling.p2p.core.InboundRouter;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.mux.yamux.YamuxSession;
import io.netty.channel.Channel;
import java.util.concurrent.CompletableFuture;

/**
 * Runs the libp2p upgrade (multistream-select {@code /noise}, Noise XX, yamux) on any byte channel, not only on
 * TCP sockets: circuit relay runs it over a relayed stream. Call before the channel is registered (or on its
 * event loop). The channel's addresses should be {@link MultiaddrSocketAddress}es.
 */
public final class ChannelUpgrade {
    private ChannelUpgrade() {
    }

    /**
     * Installs the upgrade on a fresh channel.
     *
     * @param channel      the channel, not yet active
     * @param initiator    true for the dialing side (Noise initiator, yamux client)
     * @param identity     our key
     * @param expectedPeer the peer the remote must prove to be, or null to accept whoever answers
     * @param router       serves the connection's inbound streams; told about connect and disconnect
     * @return completes with the connection, or fails (the channel is then closed); times out after 10 s
     */
    public static CompletableFuture<Connection> install(Channel channel, boolean initiator, PrivateKey identity,
                                                        PeerId expectedPeer, InboundRouter router) {
        CompletableFuture<Connection> result = new CompletableFuture<>();
        ConnectionUpgrader.install(channel, new ConnectionUpgrader(initiator, identity, expectedPeer, router, result,
                YamuxSession.DEFAULT_RECEIVE_WINDOW, true));
        return result;
    }
}
