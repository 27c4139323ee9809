// FrameDecoder: a stream of several frames cut at every offset, or fed one byte at a time, yields the same
// frames; frame_max (with RabbitMQ's 8-byte fudge) is enforced from the header before any payload is buffered;
// bad frame-end and unknown frame types are 501 with RabbitMQ's texts; and parseProtocolHeader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  FrameDecoder,
  PROTOCOL_HEADER,
  Writer,
  parseProtocolHeader,
  writeBasicAck,
  writeBasicPublish,
  writeBody,
  writeContentHeader,
  writeHeartbeat,
  writeQueueDeclare,
  type FrameHandler,
} from '../../../../src/codec/amqp/index.js';
import { Collector, everyTypeTable } from './helpers.js';

function stream(): Buffer {
  const w = new Writer(128);
  writeBasicPublish(w, 1, 'amq.direct', 'route', true, false);
  writeContentHeader(w, 1, 60, 300, Buffer.from([0x90, 0x00, 10, ...Buffer.from('text/plain'), 2]));
  writeBody(w, 1, Buffer.alloc(300, 7), 4096);
  writeHeartbeat(w);
  writeQueueDeclare(w, 2, 'q', false, true, false, false, false, everyTypeTable());
  writeBody(w, 3, Buffer.alloc(0), 4096);
  writeBasicAck(w, 65535, 2 ** 50, true);
  return Buffer.from(w.take()!);
}

function decodeAll(chunks: Buffer[], frameMax = 131072): Collector {
  const c = new Collector();
  const d = new FrameDecoder(c, frameMax);
  for (const ch of chunks) d.push(ch);
  assert.equal(d.buffered, 0);
  return c;
}

test('whole stream', () => {
  const frames = decodeAll([stream()]).frames;
  assert.deepEqual(
    frames.map((f) => [f.type, f.channel, f.payload.length]),
    [
      [1, 1, 4 + 2 + 11 + 6 + 1],
      [2, 1, 12 + 2 + 11 + 1],
      [3, 1, 300],
      [8, 0, 0],
      [1, 2, frames[4]!.payload.length],
      [1, 65535, 13],
    ],
  );
});

test('split at every offset gives the same frames', () => {
  const s = stream();
  const expected = decodeAll([s]).frames;
  for (let i = 0; i <= s.length; i++) {
    assert.deepStrictEqual(decodeAll([s.subarray(0, i), s.subarray(i)]).frames, expected, `cut at ${i}`);
  }
  // two cuts, around frame boundaries and inside headers
  for (let i = 0; i < 60; i++) {
    for (let j = i; j < s.length; j += 13) {
      assert.deepStrictEqual(decodeAll([s.subarray(0, i), s.subarray(i, j), s.subarray(j)]).frames, expected);
    }
  }
});

test('one byte at a time gives the same frames', () => {
  const s = stream();
  const chunks: Buffer[] = [];
  for (let i = 0; i < s.length; i++) chunks.push(s.subarray(i, i + 1));
  assert.deepStrictEqual(decodeAll(chunks).frames, decodeAll([s]).frames);
});

test('payloads are views into the chunk when a frame is not split (no copy)', () => {
  const s = stream();
  let shared = 0;
  new FrameDecoder({
    onFrame(_t: number, _c: number, p: Buffer) {
      if (p.buffer === s.buffer) shared++;
    },
  }).push(s);
  assert.equal(shared, 6);
});

function codecError(fn: () => unknown, code: number, text: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError, String(e));
    assert.equal(e.replyCode, code);
    if (typeof text === 'string') assert.equal(e.message, text);
    else assert.match(e.message, text);
    return true;
  });
}

test('frame_max: a larger payload is refused from its header alone, before buffering; then input is ignored', () => {
  const c = new Collector();
  const d = new FrameDecoder(c, 4096);
  // rabbit_reader: PayloadSize > FrameMax - 8 + ?FRAME_SIZE_FUDGE(8)
  const header = Buffer.from([3, 0, 1, 0, 0, 0x10, 0x01]); // body frame, 4097 bytes declared
  codecError(() => d.push(header), 501, 'type 3, all octets = <<>>: {frame_too_large,4097,4088}');
  assert.equal(d.buffered, 0);
  d.push(Buffer.alloc(5000)); // lost sync: ignored
  assert.equal(c.frames.length, 0);
  // the header split across pushes is refused as soon as it is complete
  const d2 = new FrameDecoder(c, 4096);
  d2.push(header.subarray(0, 4));
  codecError(() => d2.push(header.subarray(4)), 501, /frame_too_large/);
  // exactly frame_max is accepted (the fudge), and frameMax 0 means no limit
  const w = new Writer();
  writeBody(w, 1, Buffer.alloc(4096), 0);
  const frame = Buffer.from(w.take()!);
  decodeAll([frame], 4096);
  codecError(() => decodeAll([frame], 4095), 501, 'type 3, all octets = <<>>: {frame_too_large,4096,4087}');
  assert.equal(decodeAll([frame], 0).frames.length, 1);
});

test('frameMax can be lowered after tune', () => {
  const d = new FrameDecoder(new Collector(), 131072);
  d.frameMax = 4096;
  codecError(() => d.push(Buffer.from([1, 0, 0, 0, 1, 0, 0])), 501, /\{frame_too_large,65536,4088\}/);
});

test('a bad frame-end is 501 and the stream is abandoned', () => {
  const c = new Collector();
  const d = new FrameDecoder(c);
  const bad = Buffer.from([8, 0, 0, 0, 0, 0, 0, 0x00]);
  codecError(() => d.push(bad), 501, 'type 8, all octets = <<>>: {invalid_frame_end_marker,0}');
  const w = new Writer();
  writeHeartbeat(w);
  d.push(w.take()!);
  assert.equal(c.frames.length, 0);
  const long = Buffer.from([3, 0, 1, 0, 0, 0, 20, ...Buffer.alloc(20, 0x41), 0xcf]);
  codecError(
    () => decodeAll([long]),
    501,
    'type 3, first 16 octets = <<"AAAAAAAAAAAAAAAA">>: {invalid_frame_end_marker,207}',
  );
});

test('unknown frame types and impossible payload sizes are 501 unknown_frame; the stream stays in sync', () => {
  const c = new Collector();
  const d = new FrameDecoder(c);
  const w = new Writer();
  writeHeartbeat(w);
  const hb = Buffer.from(w.take()!);
  codecError(
    () => d.push(Buffer.concat([Buffer.from([4, 0, 1, 0, 0, 0, 2, 1, 2, 0xce]), hb])),
    501,
    'type 4, all octets = <<1,2>>: unknown_frame',
  );
  d.push(Buffer.alloc(0)); // the heartbeat after the bad frame is kept and parsed next time
  assert.equal(c.frames.length, 1);
  codecError(
    () => d.push(Buffer.from([8, 0, 0, 0, 0, 0, 1, 9, 0xce])),
    501,
    'type 8, all octets = <<"\\t">>: unknown_frame',
  );
  codecError(
    () => d.push(Buffer.from([1, 0, 0, 0, 0, 0, 3, 0, 10, 0, 0xce])),
    501,
    /^type 1, all octets = <<0,10,0>>: unknown_frame$/,
  );
  codecError(() => d.push(Buffer.from([2, 0, 1, 0, 0, 0, 1, 0, 0xce])), 501, /unknown_frame/);
  d.push(hb);
  assert.equal(c.frames.length, 2);
});

test('a handler that throws does not lose the rest of the chunk', () => {
  const w = new Writer();
  writeBasicAck(w, 1, 1, false);
  writeBasicAck(w, 1, 2, false);
  writeBasicAck(w, 1, 3, false);
  const s = Buffer.from(w.take()!);
  const seen: number[] = [];
  const h: FrameHandler = {
    onFrame(_t, _c, p) {
      const tag = p.readUInt32BE(8);
      seen.push(tag);
      if (tag === 1) throw new Error('boom');
    },
  };
  const d = new FrameDecoder(h);
  assert.throws(() => d.push(s), /boom/);
  d.push(Buffer.alloc(0));
  assert.deepEqual(seen, [1, 2, 3]);
  // also when the frame that throws completes a split
  seen.length = 0;
  const d2 = new FrameDecoder(h);
  d2.push(s.subarray(0, 10));
  assert.throws(() => d2.push(s.subarray(10)), /boom/);
  d2.push(Buffer.alloc(0));
  assert.deepEqual(seen, [1, 2, 3]);
});

test('a large split frame is reassembled in a growing buffer', () => {
  const w = new Writer();
  const body = Buffer.alloc(200000);
  for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
  writeBody(w, 1, body, 0);
  const s = Buffer.from(w.take()!);
  const chunks: Buffer[] = [];
  for (let i = 0; i < s.length; i += 1500) chunks.push(s.subarray(i, i + 1500));
  const frames = decodeAll(chunks, 0).frames;
  assert.equal(frames.length, 1);
  assert.deepEqual(frames[0]!.payload, body);
});

test('parseProtocolHeader', () => {
  assert.equal(parseProtocolHeader(PROTOCOL_HEADER), 'ok');
  assert.equal(parseProtocolHeader(Buffer.concat([PROTOCOL_HEADER, Buffer.from([1, 2])])), 'ok');
  assert.equal(parseProtocolHeader(Buffer.from('AMQP\x01\x01\x00\x09', 'latin1')), 'ok');
  assert.equal(parseProtocolHeader(Buffer.from('AMQ')), 'need-more');
  assert.equal(parseProtocolHeader(Buffer.alloc(0)), 'need-more');
  assert.equal(parseProtocolHeader(Buffer.from('AMQP\x00\x00\x09')), 'need-more');
  assert.equal(parseProtocolHeader(Buffer.from('AMQP\x00\x01\x00\x00', 'latin1')), 'bad');
  assert.equal(parseProtocolHeader(Buffer.from('GET / HTTP/1.1')), 'bad');
  assert.equal(parseProtocolHeader(Buffer.from('X')), 'bad');
});

/** Collects frames as given: a payload of its own (payloadIsCopy) as is, else a copy. */
class OwnCollector implements FrameHandler {
  frames: { type: number; channel: number; payload: Buffer; own: boolean }[] = [];
  readonly decoder = new FrameDecoder(this, 131072);
  onFrame(type: number, channel: number, payload: Buffer): void {
    const own = this.decoder.payloadIsCopy;
    this.frames.push({ type, channel, payload: own ? payload : Buffer.from(payload), own });
  }
}

/**
 * Pushes each chunk as a view of one reused buffer, scribbled over after every push, as the shared read buffer
 * is (frontend/net/shared-read.ts): whatever the decoder kept as a view would show the scribble.
 */
function pushShared(d: FrameDecoder, chunks: Buffer[]): void {
  const shared = Buffer.alloc(Math.max(...chunks.map((c) => c.length)));
  for (const c of chunks) {
    c.copy(shared);
    d.push(shared.subarray(0, c.length));
    shared.fill(0xa5);
  }
}

test('a large body frame split across chunks is copied into a pool buffer of its own; no view of a chunk is kept', () => {
  const body = Buffer.alloc(65536);
  for (let i = 0; i < body.length; i++) body[i] = (i * 13) & 255;
  const w = new Writer(4096);
  writeBasicAck(w, 1, 1, false);
  writeBody(w, 5, body, 131072);
  writeBasicAck(w, 1, 2, false);
  const parts = w.takeParts()!;
  const wire = Buffer.isBuffer(parts) ? Buffer.from(parts) : Buffer.concat(parts);
  for (const cut of [5, 20, 21 + 7, 21 + 8, 40000, wire.length - 22, wire.length - 21, wire.length - 20]) {
    for (const second of [cut + 1, cut + 3, wire.length]) {
      const chunks = [wire.subarray(0, cut), wire.subarray(cut, second), wire.subarray(second)].filter((c) => c.length);
      const c = new OwnCollector();
      const d = c.decoder;
      pushShared(d, chunks);
      assert.equal(d.buffered, 0);
      assert.equal(c.frames.length, 3, `cut ${cut}/${second}`);
      const f = c.frames[1]!;
      assert.equal(f.type, 3);
      assert.equal(f.channel, 5);
      assert.deepEqual(f.payload, body, `cut ${cut}/${second}`);
      // split anywhere (its header too): the body came in a buffer of its own (a pool buffer, whole)
      const split = [cut, second].some((b) => b > 21 && b < wire.length - 21);
      assert.equal(f.own, split, `cut ${cut}/${second}`);
      if (split) assert.equal(f.payload.byteOffset, 0);
      assert.deepEqual(
        c.frames.map((x) => x.type),
        [1, 3, 1],
      );
    }
  }
});

test('no frame keeps a view of the chunk it came in, however the stream is cut', () => {
  const big = Buffer.alloc(20000, 7);
  const w = new Writer(4096);
  writeBasicPublish(w, 1, 'amq.direct', 'k', false, false);
  writeContentHeader(w, 1, 60, big.length, Buffer.from([0x00, 0x00]));
  writeBody(w, 1, big, 131072);
  writeBasicAck(w, 1, 9, false);
  writeBody(w, 2, Buffer.from('small body'), 131072);
  writeHeartbeat(w);
  const p = w.takeParts()!;
  const wire = Buffer.isBuffer(p) ? Buffer.from(p) : Buffer.concat(p);
  const whole = decodeAll([wire]).frames.map((f) => [f.type, f.channel, f.payload.toString('hex')]);
  for (const size of [1, 7, 8, 100, 4096, 19999, 20040]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < wire.length; i += size) chunks.push(wire.subarray(i, i + size));
    const c = new OwnCollector();
    pushShared(c.decoder, chunks);
    assert.deepEqual(
      c.frames.map((f) => [f.type, f.channel, f.payload.toString('hex')]),
      whole,
      `chunks of ${size}`,
    );
  }
});

test('a split large body frame with a bad frame-end is 501 and the stream is abandoned', () => {
  const bytes = Buffer.concat([Buffer.from([3, 0, 1, 0, 0, 0x9c, 0x40]), Buffer.alloc(40000, 1), Buffer.from([0])]);
  const c = new Collector();
  const d = new FrameDecoder(c, 131072);
  d.push(bytes.subarray(0, 1000));
  assert.throws(
    () => d.push(bytes.subarray(1000)),
    (e: unknown) => e instanceof CodecError && e.replyCode === 501 && /invalid_frame_end_marker,0/.test(e.message),
  );
  d.push(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]));
  assert.equal(c.frames.length, 0);
});

test('yieldAfterFrame: the rest of the chunk waits for the next push, in order, split frames too', () => {
  const whole = decodeAll([stream()]).frames.map((f) => [f.type, f.channel, f.payload.toString('hex')]);
  for (const split of [0, 20, 333, 400]) {
    const frames: unknown[] = [];
    // a handler that yields after every frame: one frame per push
    const d: FrameDecoder = new FrameDecoder({
      onFrame(type, channel, payload) {
        frames.push([type, channel, Buffer.from(payload).toString('hex')]);
        d.yieldAfterFrame();
      },
    });
    const s = stream();
    const chunks = split === 0 ? [s] : [s.subarray(0, split), s.subarray(split)];
    let pushes = 0;
    for (const c of chunks) {
      d.push(c);
      pushes++;
    }
    while (d.stashed !== 0) {
      d.push(Buffer.alloc(0));
      pushes++;
    }
    assert.deepEqual(frames, whole, `split at ${split}`);
    assert.ok(pushes >= whole.length, 'one frame per push');
    assert.equal(d.buffered, 0);
  }
});
