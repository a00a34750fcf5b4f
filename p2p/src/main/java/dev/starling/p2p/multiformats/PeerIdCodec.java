package dev.starling.p2p.multiformats;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PublicKey;
import dev.starling.p2p.crypto.Keys;
import java.util.Locale;
import java.util.Optional;

/** Peer id multihash checks and text forms (libp2p/specs peer-ids.md). Pure; thread-safe. */
public final class PeerIdCodec {
    /** Multihash code of the identity hash. */
    public static final int IDENTITY = 0x00;
    /** Multihash code of sha2-256. */
    public static final int SHA2_256 = 0x12;
    /** Multicodec of libp2p-key, used in CIDv1 peer ids. */
    public static final int LIBP2P_KEY = 0x72;
    /** Longest encoded public key inlined with the identity hash. */
    public static final int MAX_INLINE_KEY = 42;

    private PeerIdCodec() {
    }

    /**
     * Checks that {@code mh} is an identity (at most 42 bytes of key) or sha2-256 multihash.
     *
     * @param mh the multihash bytes
     * @throws P2pException PROTOCOL_VIOLATION if not
     */
    public static void checkMultihash(byte[] mh) {
        if (mh.length > PeerId.MAX_BYTES) throw P2pException.protocolViolation("peer id too long: " + mh.length);
        int[] pos = new int[1];
        long code = Uvarint.read(mh, 0, pos);
        long len = Uvarint.read(mh, pos[0], pos);
        if (len != mh.length - pos[0]) {
            throw P2pException.protocolViolation("multihash length " + len + " but " + (mh.length - pos[0]) + " bytes");
        }
        if (code == SHA2_256 && len == 32) return;
        if (code == IDENTITY && len <= MAX_INLINE_KEY) return;
        throw P2pException.protocolViolation("peer id is not an identity or sha2-256 multihash (code " + code
                + ", length " + len + ")");
    }

    /**
     * Parses base58btc or a base32 CIDv1 with codec libp2p-key.
     *
     * @param text the text form
     * @return the multihash bytes
     * @throws P2pException PROTOCOL_VIOLATION if malformed
     */
    public static byte[] parseText(String text) {
        if (text.startsWith("1") || text.startsWith("Qm")) return Base58.decode(text);
        if (text.startsWith("b")) {
            byte[] cid = Base32.decode(text.substring(1).toLowerCase(Locale.ROOT));
            int[] pos = new int[1];
            long version = Uvarint.read(cid, 0, pos);
            long codec = Uvarint.read(cid, pos[0], pos);
            if (version != 1 || codec != LIBP2P_KEY) {
                throw P2pException.protocolViolation("CID is not a v1 libp2p-key: version " + version
                        + " codec " + codec);
            }
            byte[] mh = new byte[cid.length - pos[0]];
            System.arraycopy(cid, pos[0], mh, 0, mh.length);
            return mh;
        }
        throw P2pException.protocolViolation("peer id text is neither base58btc nor a base32 CID: " + abbreviate(text));
    }

    /**
     * Returns the public key inlined in an identity multihash.
     *
     * @param mh a checked multihash
     * @return the key, or empty for sha2-256
     */
    public static Optional<PublicKey> inlinedKey(byte[] mh) {
        if (mh[0] != IDENTITY) return Optional.empty();
        int[] pos = new int[1];
        Uvarint.read(mh, 1, pos);
        byte[] key = new byte[mh.length - pos[0]];
        System.arraycopy(mh, pos[0], key, 0, key.length);
        return Optional.of(Keys.unmarshalPublicKey(key));
    }

    static String abbreviate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
