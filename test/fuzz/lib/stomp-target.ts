// The STOMP fuzz target: frames of every client command with RabbitMQ's headers and destinations, escapes,
// content-length right and wrong, both EOLs, heart-beat EOLs, built as text and sometimes mutated; recorded
// stompjs sessions mutated; raw bytes. Classified by the ERROR frame's message header.
import { chop, mutate } from './mutate.js';
import { corpus } from './corpus.js';
import type { FuzzCase, FuzzTarget } from './harness.js';
import type { Rng } from './rng.js';

const DESTS = [
  '/queue/fz.s1',
  '/queue/fz.s2',
  '/topic/fz.t',
  '/topic/fz.*.#',
  '/exchange/amq.direct/k',
  '/exchange/amq.topic',
  '/exchange/nope/k',
  '/amq/queue/fz.s1',
  '/amq/queue/missing',
  '/temp-queue/t1',
  '/reply-queue/x',
  '/bogus/x',
  '',
  '/queue/',
  '/queue/a/b',
];
const COMMANDS = ['SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT'];

function hv(rng: Rng): string {
  if (rng.chance(0.9))
    return rng.pick(['1', '0', 'true', 'false', 'client', 'client-individual', 'auto', 'x', '-1', '']);
  return rng.bytes(rng.size(30)).toString('latin1');
}

function frame(rng: Rng, command: string, headers: [string, string][], body: Buffer): Buffer {
  const eol = rng.chance(0.9) ? '\n' : '\r\n';
  const withLen = rng.chance(0.5);
  if (withLen) {
    const len = rng.chance(0.9) ? body.length : rng.pick([body.length + 1, body.length - 1, 0, 999999999, -1]);
    headers.push(['content-length', String(len)]);
  }
  const esc = (s: string): string =>
    rng.chance(0.95) ? s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/:/g, '\\c').replace(/\r/g, '\\r') : s;
  let head = command + eol;
  for (const [k, v] of headers) head += `${esc(k)}:${esc(v)}${eol}`;
  return Buffer.concat([Buffer.from(head + eol, 'latin1'), body, Buffer.from(rng.chance(0.97) ? '\0' : '', 'latin1')]);
}

function clientFrame(rng: Rng, ids: string[]): Buffer {
  const cmd = rng.chance(0.97) ? rng.pick(COMMANDS) : rng.pick(['CONNECT', 'STOMP', 'bogus', 'send', '']);
  const h: [string, string][] = [];
  const id = rng.chance(0.7) && ids.length ? rng.pick(ids) : `s${rng.int(10)}`;
  switch (cmd) {
    case 'SEND':
      h.push(['destination', rng.pick(DESTS)]);
      for (const k of [
        'persistent',
        'priority',
        'expiration',
        'reply-to',
        'content-type',
        'transaction',
        'x-custom',
        'receipt',
      ])
        if (rng.chance(0.15)) h.push([k, k === 'reply-to' ? rng.pick(DESTS) : hv(rng)]);
      break;
    case 'SUBSCRIBE':
      ids.push(id);
      h.push(['destination', rng.pick(DESTS)], ['id', id]);
      for (const k of [
        'ack',
        'prefetch-count',
        'durable',
        'auto-delete',
        'exclusive',
        'persistent',
        'x-queue-type',
        'x-message-ttl',
        'x-max-priority',
        'selector',
        'receipt',
      ])
        if (rng.chance(0.2)) h.push([k, hv(rng)]);
      break;
    case 'UNSUBSCRIBE':
      h.push(['id', id]);
      break;
    case 'ACK':
    case 'NACK':
      h.push(['id', rng.chance(0.5) ? `T_${id}@@session-x@@${rng.int(10)}` : hv(rng)]);
      if (rng.chance(0.3)) h.push(['subscription', id], ['message-id', String(rng.int(10))]);
      if (rng.chance(0.2)) h.push(['requeue', hv(rng)]);
      break;
    case 'BEGIN':
    case 'COMMIT':
    case 'ABORT':
      h.push(['transaction', `tx${rng.int(3)}`]);
      break;
    case 'DISCONNECT':
      if (rng.chance(0.5)) h.push(['receipt', 'bye']);
      break;
    default:
      h.push(['accept-version', '1.2']);
  }
  if (rng.chance(0.05)) for (let n = rng.size(2000); n > 0; n--) h.push([`h${n}`, 'v']);
  const body = cmd === 'SEND' ? rng.bytes(rng.chance(0.95) ? rng.size(300) : rng.size(200000)) : Buffer.alloc(0);
  const f = frame(rng, cmd, h, body);
  return rng.chance(0.05) ? Buffer.concat([Buffer.from('\n\r\n\n'), f]) : f;
}

function connectFrame(rng: Rng): Buffer {
  const h: [string, string][] = [
    ['accept-version', rng.chance(0.9) ? rng.pick(['1.2', '1.0,1.1,1.2', '1.1']) : hv(rng)],
    ['host', rng.chance(0.9) ? '/' : hv(rng)],
    ['login', rng.chance(0.95) ? 'guest' : hv(rng)],
    ['passcode', rng.chance(0.95) ? 'guest' : hv(rng)],
  ];
  if (rng.chance(0.3)) h.push(['heart-beat', rng.pick(['0,0', '1000,1000', '1,1', 'x,y', '10000,0', '-1,5'])]);
  return frame(rng, rng.chance(0.8) ? 'CONNECT' : 'STOMP', h, Buffer.alloc(0));
}

function generate(rng: Rng): FuzzCase {
  const r = rng.int(100);
  const holdMs = rng.chance(0.05) ? rng.int(300) : 0;
  if (r < 60) {
    const head = connectFrame(rng);
    const ids: string[] = [];
    let tail: Buffer = Buffer.concat(Array.from({ length: 1 + rng.size(20) }, () => clientFrame(rng, ids)));
    if (rng.chance(0.3)) tail = mutate(rng, tail, head);
    return { kind: 'stomp-grammar', chunks: chop(rng, Buffer.concat([head, tail])), holdMs };
  }
  if (r < 90) {
    const s = rng.pick(corpus('stomp'));
    return { kind: 'stomp-session', chunks: chop(rng, mutate(rng, s.bytes, s.bytes), 8), holdMs };
  }
  return { kind: 'stomp-raw', chunks: chop(rng, rng.bytes(rng.size(2000))), holdMs };
}

/** The first ERROR frame's message header ("error Invalid frame"), "connected" or "closed". */
export function classifyStomp(reply: Buffer): string {
  const s = reply.toString('latin1');
  const e = s.indexOf('ERROR\n');
  if (e >= 0) {
    const m = /\nmessage:([^\n]*)/.exec(s.slice(e, e + 2000));
    return `error ${(m?.[1] ?? '').replace(/\d+/g, 'N').slice(0, 40)}`;
  }
  if (s.startsWith('CONNECTED')) return 'connected';
  return s.length ? 'other' : 'closed';
}

export const stompTarget: FuzzTarget = { name: 'stomp', port: (p) => p.stomp, generate, classify: classifyStomp };
