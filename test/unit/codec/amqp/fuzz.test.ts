// Fuzz (bounded, seeded): random bytes and mutated valid streams, cut at random points, through the frame
// decoder and every payload decoder: each input yields frames or a CodecError, never another exception type,
// and always finishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  FrameDecoder,
  Writer,
  decodeMethod,
  decodeProperties,
  decodeTable,
  encodeMethod,
  peekDeliveryMode,
  peekExpiration,
  peekPriority,
  readContentHeader,
  writeBody,
  writeContentHeader,
  writeHeartbeat,
  MethodFields,
  MethodId,
  type AmqpMethod,
  type FrameHandler,
} from '../../../../src/codec/amqp/index.js';
import * as A from '../../../../src/codec/amqp/index.js';
import { prng, sampleValue } from './helpers.js';

/** Decodes every frame as the broker would. */
const handler: FrameHandler = {
  onFrame(type, _channel, payload) {
    if (type === 1) decodeMethod(payload);
    else if (type === 2) {
      const h = readContentHeader(payload);
      const end = payload.length;
      peekDeliveryMode(payload, h.propsOffset, end);
      peekPriority(payload, h.propsOffset, end);
      peekExpiration(payload, h.propsOffset, end);
      decodeProperties(payload, h.propsOffset, end);
    }
  },
};

function validStream(): Buffer {
  const w = new Writer(256);
  const classes = A as unknown as Record<string, new () => AmqpMethod>;
  for (const name of Object.keys(MethodId)) {
    const m = new classes[name]!();
    const f = m as unknown as Record<string, unknown>;
    for (const [field, type, reserved] of MethodFields[m.id]!) {
      if (!reserved) f[field] = sampleValue(type, field, Buffer.isBuffer(f[field]), true);
    }
    encodeMethod(w, 1, m);
  }
  writeContentHeader(
    w,
    1,
    60,
    3,
    Buffer.from([0xf8, 0x00, 1, 0x61, 1, 0x62, 0, 0, 0, 4, 1, 0x6b, 0x56, 0x56, 2, 5, 2, 0x36, 0x30]),
  );
  writeBody(w, 1, Buffer.from('abc'), 4096);
  writeHeartbeat(w);
  return Buffer.from(w.take()!);
}

/** Runs fn; anything thrown must be a CodecError. Returns whether it threw. */
function onlyCodecErrors(fn: () => void, what: string): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    if (!(e instanceof CodecError)) assert.fail(`${what}: ${String(e)}\n${(e as Error).stack}`);
    assert.ok(
      Number.isInteger(e.replyCode) && e.replyCode >= 500 && e.replyCode <= 541,
      `${what}: code ${e.replyCode}`,
    );
    return true;
  }
}

function feed(bytes: Buffer, rnd: () => number, frameMax: number): void {
  const d = new FrameDecoder(handler, frameMax);
  let off = 0;
  while (off < bytes.length) {
    const n = 1 + Math.floor(rnd() * Math.min(bytes.length - off, 600));
    // after an error the decoder either ignores input (lost sync) or carries on: keep feeding
    onlyCodecErrors(() => d.push(bytes.subarray(off, off + n)), 'push');
    off += n;
  }
  onlyCodecErrors(() => d.push(Buffer.alloc(0)), 'final push');
}

test('random bytes and random cuts: frames or CodecError only', { timeout: 60000 }, () => {
  const rnd = prng(0x5eed);
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(rnd() * 400);
    const bytes = Buffer.alloc(len);
    for (let j = 0; j < len; j++) bytes[j] = Math.floor(rnd() * 256);
    // bias towards plausible frame headers so more inputs get past the first check
    if (len > 8 && rnd() < 0.7) {
      bytes[0] = [1, 2, 3, 8][Math.floor(rnd() * 4)]!;
      bytes.writeUInt32BE(Math.min(len - 8, Math.floor(rnd() * len)), 3);
      bytes[7 + bytes.readUInt32BE(3)] = 0xce;
    }
    feed(bytes, rnd, rnd() < 0.5 ? 4096 : 0);
    onlyCodecErrors(() => decodeMethod(bytes), 'decodeMethod');
    onlyCodecErrors(() => decodeTable(bytes, 0, bytes.length), 'decodeTable');
    onlyCodecErrors(() => decodeProperties(bytes, 0, bytes.length), 'decodeProperties');
    onlyCodecErrors(() => peekExpiration(bytes, 0, bytes.length), 'peekExpiration');
  }
});

test('mutated valid streams and payloads: frames or CodecError only', { timeout: 60000 }, () => {
  const rnd = prng(42);
  const base = validStream();
  let threw = 0;
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(base);
    const flips = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < flips; k++) {
      const at = Math.floor(rnd() * bytes.length);
      bytes[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : bytes[at]! ^ (1 << Math.floor(rnd() * 8));
    }
    feed(bytes, rnd, 131072);
    // bypass the frame checks: mutate a single payload and decode it directly
    const start = Math.floor(rnd() * (bytes.length - 20));
    const slice = bytes.subarray(start, start + Math.floor(rnd() * 200));
    if (onlyCodecErrors(() => decodeMethod(slice), 'decodeMethod slice')) threw++;
    onlyCodecErrors(() => decodeProperties(slice, 0, slice.length), 'decodeProperties slice');
  }
  assert.ok(threw > 0);
});

test('every method payload, truncated or extended by random bytes', { timeout: 60000 }, () => {
  const rnd = prng(7);
  const c: Buffer[] = [];
  new FrameDecoder({ onFrame: (t, _c, p) => t === 1 && c.push(Buffer.from(p)) }, 0).push(validStream());
  for (let i = 0; i < 2000; i++) {
    const p = c[i % c.length]!;
    const cut = Math.floor(rnd() * (p.length + 8));
    const q = Buffer.concat([p.subarray(0, cut), Buffer.from([Math.floor(rnd() * 256)])]);
    onlyCodecErrors(() => decodeMethod(q), 'extended');
    onlyCodecErrors(() => decodeMethod(p.subarray(0, cut)), 'truncated');
  }
});
