package dev.starling.p2p.kad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.starling.p2p.core.Host;
import dev.starling.p2p.core.Multiaddr;
import dev.starling.p2p.core.PrivateKey;
import dev.starling.p2p.crypto.Keys;
import dev.starling.p2p.crypto.PeerIds;
import dev.starling.p2p.host.HostBuilder;
import dev.starling.p2p.protocol.identify.IdentifyService;
import dev.starling.p2p.transport.memory.MemoryNetwork;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.util.concurrent.DefaultEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** KadDht services on real hosts over the in-memory transport: put a record on one, get it from another. */
class KadDhtHostTest {
    private static final MemoryNetwork NETWORK = new MemoryNetwork();
    private final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(2);
    private final DefaultEventExecutor owner = new DefaultEventExecutor();
    private final List<Host> hosts = new ArrayList<>();
    private final List<KadDht> dhts = new ArrayList<>();

    @AfterEach
    void close() {
        dhts.forEach(KadDht::close);
        hosts.forEach(Host::close);
        owner.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
        loops.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
    }

    @Test
    void shouldPutAndGetRecordsAndProvidersAcrossSixHosts() throws Exception {
        int n = 6;
        for (int i = 0; i < n; i++) {
            PrivateKey key = Keys.ed25519ForTest(200 + i);
            Host h = new HostBuilder().identity(key).eventLoops(loops).memoryTransport(NETWORK).build();
            h.listen(Multiaddr.fromString("/memory/kad" + i)).get(5, TimeUnit.SECONDS);
            hosts.add(h);
            KadConfig config = KadConfig.defaults().withMode(i == n - 1 ? KadConfig.Mode.CLIENT
                    : KadConfig.Mode.SERVER);
            KadDht dht = new KadDht(h, config, DhtCodec.Limits.defaults(), owner, System::nanoTime);
            dht.useIdentify(IdentifyService.install(h));
            dhts.add(dht);
        }
        // Everyone dials only the bootstrap host; identify tells it the others' listen addresses, and lookups
        // then dial peers they learned about.
        for (int i = 1; i < n; i++) {
            hosts.get(i).dial(Multiaddr.fromString("/memory/kad0")).get(5, TimeUnit.SECONDS);
        }
        for (int i = 1; i < n; i++) {
            assertTrue(dhts.get(i).bootstrap().get(10, TimeUnit.SECONDS) >= 1);
        }
        // A /pk record: the key is /pk/<peer id>, the value the public key.
        PrivateKey writerKey = Keys.ed25519ForTest(200 + 2);
        byte[] pub = writerKey.publicKey().marshal();
        byte[] id = PeerIds.fromPublicKey(pub).bytes();
        byte[] recordKey = concat("/pk/".getBytes(StandardCharsets.US_ASCII), id);
        int stored = dhts.get(2).putValue(recordKey, pub).get(10, TimeUnit.SECONDS);
        assertEquals(n - 2, stored, "stored on every other server");
        Optional<byte[]> got = dhts.get(n - 1).getValue(recordKey).get(10, TimeUnit.SECONDS);
        assertArrayEquals(pub, got.orElseThrow(), "client-mode host reads the record");

        byte[] cid = {0x12, 0x20, 7, 7, 7};
        assertTrue(dhts.get(3).provide(cid).get(10, TimeUnit.SECONDS) >= 1);
        List<KadPeer> providers = dhts.get(1).findProviders(cid).get(10, TimeUnit.SECONDS);
        assertEquals(List.of(hosts.get(3).peerId()), providers.stream().map(KadPeer::id).toList());
        int clientInTables = 0;
        for (int i = 0; i < n - 1; i++) {
            clientInTables += dhts.get(i).routingTableSize().get(5, TimeUnit.SECONDS) >= n - 1 ? 1 : 0;
        }
        assertEquals(0, clientInTables, "the client-mode host is in nobody's routing table");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
