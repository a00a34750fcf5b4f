package dev.starling.p2p.kad;

import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.crypto.PeerIds;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code /pk} namespace: key {@code /pk/<peer-id multihash bytes>}, value the {@code PublicKey} protobuf whose
 * peer id is that multihash. All valid values for a key are the same key, so selection takes the first.
 */
public final class PublicKeyValidator implements RecordValidator {
    private static final byte[] PREFIX = "/pk/".getBytes(StandardCharsets.US_ASCII);

    @Override
    public boolean validate(byte[] key, byte[] value) {
        if (key.length <= PREFIX.length || !Arrays.equals(key, 0, PREFIX.length, PREFIX, 0, PREFIX.length)) {
            return false;
        }
        try {
            Keys.unmarshalPublicKey(value);
            byte[] id = PeerIds.fromPublicKey(value).bytes();
            return Arrays.equals(id, 0, id.length, key, PREFIX.length, key.length);
        } catch (P2pException | IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public int select(byte[] key, List<byte[]> values) {
        return 0;
    }
}
