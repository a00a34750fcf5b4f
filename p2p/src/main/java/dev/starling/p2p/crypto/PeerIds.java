package dev.starling.p2p.crypto;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.multiformats.PeerIdCodec;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Derives peer ids from encoded public keys (peer-ids.md). Pure; thread-safe. */
public final class PeerIds {
    private PeerIds() {
    }

    /**
     * Returns the peer id of an encoded public key: identity multihash up to 42 bytes, else sha2-256.
     *
     * @param marshalledKey the libp2p PublicKey protobuf
     * @return the peer id
     */
    public static PeerId fromPublicKey(byte[] marshalledKey) {
        byte[] mh;
        if (marshalledKey.length <= PeerIdCodec.MAX_INLINE_KEY) {
            mh = new byte[2 + marshalledKey.length];
            mh[0] = PeerIdCodec.IDENTITY;
            mh[1] = (byte) marshalledKey.length;
            System.arraycopy(marshalledKey, 0, mh, 2, marshalledKey.length);
        } else {
            mh = new byte[34];
            mh[0] = PeerIdCodec.SHA2_256;
            mh[1] = 32;
            System.arraycopy(sha256(marshalledKey), 0, mh, 2, 32);
        }
        return new PeerId(mh);
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw P2pException.internal("no SHA-256", e);
        }
    }
}
