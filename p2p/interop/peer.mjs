// A js-libp2p 2.x peer for Starling's interop tests and `starling bench p2p`.
// Prints one JSON line per event on stdout; reads one JSON command per line on stdin.
// Identity: Ed25519 with the 32-byte seed filled with --seed N (same rule as Keys.ed25519ForTest in Java).
import './polyfill.mjs'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createInterface } from 'node:readline'

const args = Object.fromEntries(process.argv.slice(2).map((a, i, all) =>
  a.startsWith('--') ? [a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true'] : null)
  .filter(Boolean))
const seed = new Uint8Array(32).fill(Number(args.seed ?? 1))
const privateKey = await generateKeyPairFromSeed('Ed25519', seed)
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
const SINK = '/starling/bench/1.0.0'

// --relay-server: also a circuit relay v2 hop server (js defaults: 2 min / 128 KiB per relayed connection);
// --relay-client: can dial /p2p-circuit addresses; --listen-relay ADDR: also reserves on that relay (ADDR/p2p-circuit)
const relayClient = args['relay-client'] === 'true' || args['listen-relay'] != null
const services = { identify: identify(), ping: ping() }
if (args['relay-server'] === 'true') services.relay = circuitRelayServer()
const listen = [`/ip4/127.0.0.1/tcp/${args.port ?? 0}`]
if (args['listen-relay'] != null) listen.push(`${args['listen-relay']}/p2p-circuit`)
const node = await createLibp2p({
  privateKey,
  addresses: { listen },
  transports: relayClient ? [tcp(), circuitRelayTransport()] : [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services
})

// bench sink: counts bytes until the writer closes, then replies with the count as 8 decimal bytes
await node.handle(SINK, async ({ stream }) => {
  let n = 0
  for await (const chunk of stream.source) n += chunk.byteLength
  await stream.sink([new TextEncoder().encode(String(n))])
}, { maxInboundStreams: 4 })

node.addEventListener('peer:identify', (evt) => {
  const d = evt.detail
  out({ event: 'identify', peer: d.peerId.toString(), protocols: d.protocols, agent: d.agentVersion,
    protocolVersion: d.protocolVersion, listenAddrs: d.listenAddrs.map(String),
    observedAddr: d.observedAddr ? String(d.observedAddr) : null, signedRecord: d.signedPeerRecord != null })
})
node.addEventListener('peer:connect', (evt) => out({ event: 'connect', peer: evt.detail.toString() }))

out({ event: 'listening', peer: node.peerId.toString(), addrs: node.getMultiaddrs().map(String) })

async function bench (addr, bytes) {
  const t0 = performance.now()
  const conn = await node.dial(multiaddr(addr))
  const dialMs = performance.now() - t0
  const stream = await conn.newStream(SINK)
  const chunk = new Uint8Array(64 * 1024)
  const total = Number(bytes)
  const t1 = performance.now()
  await stream.sink((async function * () {
    for (let sent = 0; sent < total; sent += chunk.length) yield chunk
  })())
  let reply = ''
  for await (const c of stream.source) reply += new TextDecoder().decode(c.subarray())
  const secs = (performance.now() - t1) / 1000
  return { dialMs, mbPerS: Number(reply) / secs / 1e6, received: Number(reply) }
}

const rl = createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let cmd
  try { cmd = JSON.parse(line) } catch { out({ event: 'error', error: 'bad json' }); return }
  try {
    if (cmd.cmd === 'ping') {
      const rtt = await node.services.ping.ping(multiaddr(cmd.addr))
      out({ event: 'ping', ok: true, rtt })
    } else if (cmd.cmd === 'dial') {
      const conn = await node.dial(multiaddr(cmd.addr))
      out({ event: 'dialed', peer: conn.remotePeer.toString(), remoteAddr: conn.remoteAddr.toString(),
        limited: conn.limits != null })
    } else if (cmd.cmd === 'addrs') {
      out({ event: 'addrs', addrs: node.getMultiaddrs().map(String) })
    } else if (cmd.cmd === 'bench') {
      out({ event: 'bench', ...(await bench(cmd.addr, cmd.bytes)) })
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
