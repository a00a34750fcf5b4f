// A js-libp2p 2.x peer with gossipsub and kad-dht, for Starling's p2p.pubsub / p2p.kad interop tests.
// One JSON event per line on stdout; one JSON command per line on stdin. Identity: Ed25519 seed filled with --seed N.
// Record namespace "starling": any non-empty value is valid; the lexicographically largest value wins.
import './polyfill.mjs'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createInterface } from 'node:readline'

const args = Object.fromEntries(process.argv.slice(2).map((a, i, all) =>
  a.startsWith('--') ? [a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true'] : null)
  .filter(Boolean))
const seed = new Uint8Array(32).fill(Number(args.seed ?? 1))
const privateKey = await generateKeyPairFromSeed('Ed25519', seed)
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const enc = new TextEncoder()
const dec = new TextDecoder()
const compare = (a, b) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}

const node = await createLibp2p({
  privateKey,
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping(),
    pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, heartbeatInterval: 200 }),
    dht: kadDHT({
      protocol: '/ipfs/kad/1.0.0',
      clientMode: false,
      peerInfoMapper: passthroughMapper,
      validators: { starling: async (key, value) => { if (value.length === 0) throw new Error('empty') } },
      selectors: { starling: (key, values) => values.reduce((best, v, i) => compare(v, values[best]) > 0 ? i : best, 0) }
    })
  }
})

node.services.pubsub.addEventListener('message', (evt) => {
  const m = evt.detail
  out({ event: 'message', topic: m.topic, text: dec.decode(m.data), from: m.from?.toString() })
})
node.services.pubsub.addEventListener('subscription-change', (evt) => {
  out({ event: 'subscription-change', peer: evt.detail.peerId.toString(),
    subscriptions: evt.detail.subscriptions.map(s => ({ topic: s.topic, subscribe: s.subscribe })) })
})
node.addEventListener('peer:identify', (evt) => {
  out({ event: 'identify', peer: evt.detail.peerId.toString(), protocols: evt.detail.protocols })
})

out({ event: 'listening', peer: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

const rl = createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let cmd
  try { cmd = JSON.parse(line) } catch { out({ event: 'error', error: 'bad json' }); return }
  try {
    if (cmd.cmd === 'dial') {
      const conn = await node.dial(multiaddr(cmd.addr))
      out({ event: 'dialed', peer: conn.remotePeer.toString() })
    } else if (cmd.cmd === 'subscribe') {
      node.services.pubsub.subscribe(cmd.topic)
      out({ event: 'subscribed', topic: cmd.topic })
    } else if (cmd.cmd === 'mesh') {
      out({ event: 'mesh', topic: cmd.topic, peers: node.services.pubsub.getMeshPeers(cmd.topic) })
    } else if (cmd.cmd === 'publish') {
      const res = await node.services.pubsub.publish(cmd.topic, enc.encode(cmd.text))
      out({ event: 'published', recipients: res.recipients.length })
    } else if (cmd.cmd === 'put') {
      await node.contentRouting.put(enc.encode(cmd.key), enc.encode(cmd.value))
      out({ event: 'put', key: cmd.key })
    } else if (cmd.cmd === 'get') {
      const value = await node.contentRouting.get(enc.encode(cmd.key))
      out({ event: 'got', key: cmd.key, value: dec.decode(value) })
    } else if (cmd.cmd === 'stop') {
      await node.stop()
      out({ event: 'stopped' })
      process.exit(0)
    }
  } catch (e) {
    out({ event: 'error', cmd: cmd.cmd, error: String(e?.message ?? e) })
  }
})
rl.on('close', async () => { await node.stop(); process.exit(0) })
