package dev.starling.p2p.pubsub;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.crypto.Keys;
import java.util.Arrays;
import java.util.Optional;

/**
 * Adapts the p2p module's keys ({@code dev.starling.p2p.core.PrivateKey}, {@code PeerId}) to the router's signing
 * interfaces, for every key type the p2p module supports. The {@code key} field is sent only when the public key is
 * not inlined in the peer id. Immutable; any thread.
 */
public final class HostKeySigning implements MessageSigner {
    private final PrivateKey key;
    private final byte[] peerId;
    private final byte[] keyField;

    /**
     * Wraps a host identity.
     *
     * @param key the host's private key
     */
    public HostKeySigning(PrivateKey key) {
        this.key = key;
        PeerId id = key.publicKey().toPeerId();
        this.peerId = id.bytes();
        this.keyField = id.publicKey().isPresent() ? new byte[0] : key.publicKey().marshal();
    }

    @Override
    public byte[] localPeerId() {
        return peerId.clone();
    }

    @Override
    public byte[] keyField() {
        return keyField.clone();
    }

    @Override
    public byte[] sign(byte[] payload) {
        return key.sign(payload);
    }

    /**
     * Returns a verifier that reads the author's key from the peer id or the key field and checks that it matches.
     *
     * @return the verifier; returns false on any malformed input
     */
    public static SignatureVerifier verifier() {
        return (from, keyBytes, payload, signature) -> {
            try {
                PeerId author = new PeerId(from);
                Optional<PublicKey> inlined = author.publicKey();
                PublicKey pub;
                if (inlined.isPresent()) {
                    pub = inlined.get();
                } else {
                    if (keyBytes.length == 0) {
                        return false;
                    }
                    pub = Keys.unmarshalPublicKey(keyBytes);
                    if (!Arrays.equals(pub.toPeerId().bytes(), from)) {
                        return false;
                    }
                }
                return pub.verify(payload, signature);
            } catch (P2pException | IllegalArgumentException e) {
                return false;
            }
        };
    }
}
