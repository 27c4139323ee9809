// The AMQP 0-9-1 fuzz target: recorded amqplib sessions mutated, grammar-generated sessions (valid handshake,
// channels, then methods/content/heartbeats/odd frames, sometimes mutated), mutated handshakes and raw bytes.
import { chop, mutate } from './mutate.js';
import { channelOpen, frameSequence, handshake, PROTOCOL_HEADER } from './amqp-gen.js';
import { corpus } from './corpus.js';
import type { FuzzCase, FuzzTarget } from './harness.js';
import type { Rng } from './rng.js';

function generate(rng: Rng): FuzzCase {
  const r = rng.int(100);
  const holdMs = rng.chance(0.05) ? rng.int(300) : 0;
  if (r < 55) {
    const frameMax = rng.chance(0.7) ? 131072 : rng.pick([4096, 8192, 65536]);
    const channels = Array.from({ length: 1 + rng.int(3) }, (_, k) => k + 1);
    const head = Buffer.concat([
      handshake(frameMax, rng.chance(0.9) ? 2047 : rng.int(8)),
      ...channels.map(channelOpen),
    ]);
    const frames = frameSequence(rng, channels, frameMax, 1 + rng.size(30));
    let tail: Buffer = Buffer.concat(frames);
    if (rng.chance(0.3)) tail = mutate(rng, tail, head);
    return { kind: 'amqp-grammar', chunks: [head, ...chop(rng, tail)], holdMs };
  }
  if (r < 85) {
    const s = rng.pick(corpus('amqp'));
    // keep the protocol header most of the time, so the mutations reach the frames behind it
    const keep = rng.chance(0.8) ? 8 : 0;
    const body = mutate(rng, s.bytes.subarray(keep), rng.pick(corpus('amqp')).bytes);
    return { kind: 'amqp-session', chunks: chop(rng, Buffer.concat([s.bytes.subarray(0, keep), body]), 10), holdMs };
  }
  if (r < 95) {
    return { kind: 'amqp-handshake', chunks: chop(rng, mutate(rng, handshake())), holdMs };
  }
  const raw = rng.bytes(rng.size(2000));
  return { kind: 'amqp-raw', chunks: chop(rng, rng.chance(0.5) ? Buffer.concat([PROTOCOL_HEADER, raw]) : raw), holdMs };
}

/** The broker's first close, as a label: "conn 501 (0,0)", "chan 404", "header" (protocol header sent back). */
export function classifyAmqp(reply: Buffer): string {
  if (reply.length >= 4 && reply.subarray(0, 4).toString('latin1') === 'AMQP') return 'header';
  let p = 0;
  let chan: string | null = null;
  while (p + 7 <= reply.length) {
    const type = reply[p]!;
    const size = reply.readUInt32BE(p + 3);
    if (p + 8 + size > reply.length) break;
    if (type === 1 && size >= 4) {
      const cls = reply.readUInt16BE(p + 7);
      const mth = reply.readUInt16BE(p + 9);
      if (cls === 10 && mth === 50) {
        const code = reply.readUInt16BE(p + 11);
        const tl = reply[p + 13]!;
        const q = p + 14 + tl;
        return `conn ${code} (${reply.readUInt16BE(q)},${reply.readUInt16BE(q + 2)})`;
      }
      if (cls === 20 && mth === 40 && chan === null) chan = `chan ${reply.readUInt16BE(p + 11)}`;
    }
    p += 8 + size;
  }
  return chan ?? 'closed';
}

export const amqpTarget: FuzzTarget = {
  name: 'amqp',
  port: (p) => p.amqp,
  generate,
  classify: classifyAmqp,
};
