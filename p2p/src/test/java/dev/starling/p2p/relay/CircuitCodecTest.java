package dev.starling.p2p.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.P2pException;
import dev.starling.p2p.core.PeerId;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.relay.CircuitMessages.Hop;
import dev.starling.p2p.relay.CircuitMessages.HopType;
import dev.starling.p2p.relay.CircuitMessages.Limit;
import dev.starling.p2p.relay.CircuitMessages.Peer;
import dev.starling.p2p.relay.CircuitMessages.Reservation;
import dev.starling.p2p.relay.CircuitMessages.Status;
import dev.starling.p2p.relay.CircuitMessages.Stop;
import dev.starling.p2p.relay.CircuitMessages.StopType;
import dev.starling.p2p.relay.pb.CircuitProto;
import dev.starling.p2p.testing.Mutator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The relay codec against protoc's encoding, its caps, vouchers, the bookkeeping core, and a fuzz run. */
class CircuitCodecTest {
    private static final PrivateKey RELAY = Keys.ed25519ForTest(11);
    private static final PeerId PEER = Keys.ed25519ForTest(12).publicKey().toPeerId();
    private static final byte[] ADDR = Multiaddr.fromString("/ip4/10.0.0.1/tcp/4001").toBytes();

    private static Hop reserveOk() {
        byte[] voucher = ReservationVoucher.sign(RELAY, PEER, 1_700_000_000L);
        return new Hop(HopType.STATUS, null, new Reservation(1_700_000_000L, List.of(ADDR), voucher),
                new Limit(120, 131_072), Status.OK);
    }

    @Test
    void shouldEncodeHopMessagesLikeProtoc() {
        Hop m = reserveOk();
        CircuitProto.HopMessage expected = CircuitProto.HopMessage.newBuilder()
                .setType(CircuitProto.HopMessage.Type.STATUS)
                .setReservation(CircuitProto.Reservation.newBuilder().setExpire(1_700_000_000L)
                        .addAddrs(ByteString.copyFrom(ADDR)).setVoucher(ByteString.copyFrom(m.reservation().voucher())))
                .setLimit(CircuitProto.Limit.newBuilder().setDuration(120).setData(131_072))
                .setStatus(CircuitProto.Status.OK).build();
        assertArrayEquals(expected.toByteArray(), CircuitCodec.encode(m));
        Hop connect = new Hop(HopType.CONNECT, new Peer(PEER, List.of(ADDR)), null, null, null);
        CircuitProto.HopMessage c = CircuitProto.HopMessage.newBuilder().setType(CircuitProto.HopMessage.Type.CONNECT)
                .setPeer(CircuitProto.Peer.newBuilder().setId(ByteString.copyFrom(PEER.bytes()))
                        .addAddrs(ByteString.copyFrom(ADDR))).build();
        assertArrayEquals(c.toByteArray(), CircuitCodec.encode(connect));
        Hop reserve = new Hop(HopType.RESERVE, null, null, null, null);
        assertArrayEquals(new byte[] {0x08, 0x00}, CircuitCodec.encode(reserve)); // required type 0 is written
    }

    @Test
    void shouldEncodeStopMessagesLikeProtoc() {
        Stop m = new Stop(StopType.CONNECT, Peer.of(PEER), new Limit(0, 4096), null);
        CircuitProto.StopMessage expected = CircuitProto.StopMessage.newBuilder()
                .setType(CircuitProto.StopMessage.Type.CONNECT)
                .setPeer(CircuitProto.Peer.newBuilder().setId(ByteString.copyFrom(PEER.bytes())))
                .setLimit(CircuitProto.Limit.newBuilder().setData(4096)).build();
        assertArrayEquals(expected.toByteArray(), CircuitCodec.encode(m));
        assertArrayEquals(CircuitProto.StopMessage.newBuilder().setType(CircuitProto.StopMessage.Type.STATUS)
                .setStatus(CircuitProto.Status.PERMISSION_DENIED).build().toByteArray(),
                CircuitCodec.encode(Stop.status(Status.PERMISSION_DENIED)));
    }

    @Test
    void shouldRoundTrip() {
        Hop h = CircuitCodec.decodeHop(CircuitCodec.encode(reserveOk()));
        assertEquals(HopType.STATUS, h.type());
        assertEquals(Status.OK, h.status());
        assertEquals(new Limit(120, 131_072), h.limit());
        assertEquals(1_700_000_000L, h.reservation().expireUnixSeconds());
        assertArrayEquals(ADDR, h.reservation().addrs().getFirst());
        ReservationVoucher v = ReservationVoucher.open(h.reservation().voucher());
        assertEquals(new ReservationVoucher(RELAY.publicKey().toPeerId(), PEER, 1_700_000_000L), v);
        Stop s = CircuitCodec.decodeStop(CircuitCodec.encode(new Stop(StopType.CONNECT, Peer.of(PEER), null, null)));
        assertEquals(PEER, s.peer().id());
        assertNull(s.limit());
    }

    @Test
    void shouldRejectBrokenMessages() {
        assertThrows(RelayWireException.class, () -> CircuitCodec.decodeHop(new byte[0])); // no type
        assertThrows(RelayWireException.class, () -> CircuitCodec.decodeHop(new byte[] {0x08, 0x07})); // bad type
        assertThrows(RelayWireException.class, () -> CircuitCodec.decodeHop(new byte[] {0x08, 0x02, 0x28, 0x05}));
        assertThrows(RelayWireException.class, () -> CircuitCodec.decodeHop(new byte[CircuitCodec.MAX_MESSAGE_BYTES
                + 1]));
        List<byte[]> many = new ArrayList<>();
        for (int i = 0; i <= CircuitCodec.MAX_ADDRS; i++) many.add(ADDR);
        byte[] tooMany = CircuitCodec.encode(new Hop(HopType.CONNECT, new Peer(PEER, many), null, null, null));
        RelayWireException e = assertThrows(RelayWireException.class, () -> CircuitCodec.decodeHop(tooMany));
        assertTrue(e.getMessage().contains("addresses"), e.getMessage());
        assertThrows(RelayWireException.class, () -> CircuitCodec.decodeStop(new byte[] {0x08, 0x00, 0x12, 0x00}));
    }

    @Test
    void shouldRejectForgedVouchers() {
        byte[] voucher = ReservationVoucher.sign(RELAY, PEER, 5);
        voucher[voucher.length - 1] ^= 1; // the signature is the last field
        assertThrows(P2pException.class, () -> ReservationVoucher.open(voucher));
    }

    @Test
    void shouldCapReservationsAndCircuits() {
        RelayResources r = new RelayResources(new RelayConfig(Duration.ofSeconds(60), 2, 3, 2, new Limit(0, 0),
                Duration.ofSeconds(1)));
        PeerId a = Keys.ed25519ForTest(21).publicKey().toPeerId();
        PeerId b = Keys.ed25519ForTest(22).publicKey().toPeerId();
        PeerId c = Keys.ed25519ForTest(23).publicKey().toPeerId();
        long now = 1_000_000L;
        assertEquals(1060, r.reserve(a, now));
        assertEquals(1060, r.reserve(b, now));
        assertEquals(-1, r.reserve(c, now));
        assertEquals(1070, r.reserve(a, now + 10_000)); // a refresh is not a new reservation
        assertEquals(Status.NO_RESERVATION, r.openCircuit(a, c, now));
        assertEquals(Status.OK, r.openCircuit(c, a, now));
        assertEquals(Status.OK, r.openCircuit(c, b, now));
        assertEquals(Status.RESOURCE_LIMIT_EXCEEDED, r.openCircuit(c, a, now)); // 2 per peer
        r.closeCircuit(c, a);
        assertEquals(Status.OK, r.openCircuit(b, a, now));
        assertEquals(Status.NO_RESERVATION, r.openCircuit(c, b, now + 61_000)); // b expired
        r.drop(a);
        assertEquals(Status.NO_RESERVATION, r.openCircuit(c, a, now));
        assertEquals(1060 + 61, r.reserve(c, now + 61_000)); // expired b made room
    }

    @Test
    void shouldSurviveMutatedMessages() {
        List<byte[]> corpus = List.of(CircuitCodec.encode(reserveOk()),
                CircuitCodec.encode(new Hop(HopType.CONNECT, new Peer(PEER, List.of(ADDR)), null, null, null)),
                CircuitCodec.encode(new Hop(HopType.RESERVE, null, null, null, null)),
                CircuitCodec.encode(new Stop(StopType.CONNECT, Peer.of(PEER), new Limit(60, 1024), null)),
                CircuitCodec.encode(Stop.status(Status.OK)));
        Mutator mutator = new Mutator(0x5eed_2e1a_7L, corpus);
        int iterations = Mutator.ITERATIONS;
        for (int i = 0; i < iterations; i++) {
            byte[] input = mutator.next();
            for (int kind = 0; kind < 2; kind++) {
                try {
                    if (kind == 0) {
                        Hop h = CircuitCodec.decodeHop(input);
                        if (h.reservation() != null && h.reservation().voucher() != null) {
                            ReservationVoucher.open(h.reservation().voucher());
                        }
                    } else {
                        CircuitCodec.decodeStop(input);
                    }
                } catch (P2pException expected) {
                    // RelayWireException, or a voucher that does not verify: typed, as it should be
                } catch (RuntimeException e) {
                    fail("input " + java.util.HexFormat.of().formatHex(input) + " threw " + e);
                }
            }
        }
    }
}
