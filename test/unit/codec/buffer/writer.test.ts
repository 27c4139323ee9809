// Writer: integers of every width (u64/i64 exact to 2^53 without BigInt, checked against BigInt reads), UTF-8
// strings with the 255-byte shortstr limit (a refused string writes nothing), growth that copies only the
// pending bytes, and take() views that are never overwritten, with a fresh buffer when room runs low.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError, Writer } from '../../../../src/codec/amqp/index.js';

test("integers are big-endian; signed values wrap to two's complement", () => {
  const w = new Writer(8);
  w.u8(0xab);
  w.u16(0x1234);
  w.u32(0xdeadbeef);
  w.i8(-2);
  w.i16(-2);
  w.i32(-2);
  const b = w.take()!;
  assert.deepEqual([...b], [0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0xfe, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfe]);
});

test('u64 and i64 from numbers match BigInt encodings', () => {
  const values = [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, 2 ** 53 - 1];
  for (const v of values) {
    const w = new Writer();
    w.u64(v);
    w.i64(v);
    w.i64(-v);
    const b = w.take()!;
    assert.equal(b.readBigUInt64BE(0), BigInt(v));
    assert.equal(b.readBigInt64BE(8), BigInt(v));
    assert.equal(b.readBigInt64BE(16), BigInt(-v));
  }
});

test('floats', () => {
  const w = new Writer();
  w.f32(1.5);
  w.f64(-0.1);
  const b = w.take()!;
  assert.equal(b.readFloatBE(0), 1.5);
  assert.equal(b.readDoubleBE(4), -0.1);
});

test('shortstr: UTF-8 with a length octet; over 255 bytes is a CodecError and writes nothing', () => {
  const w = new Writer(4);
  w.shortstr('');
  w.shortstr('abc');
  w.shortstr('é☃');
  assert.deepEqual([...w.take()!], [0, 3, 0x61, 0x62, 0x63, 5, 0xc3, 0xa9, 0xe2, 0x98, 0x83]);
  for (const s of ['x'.repeat(255), '☃'.repeat(85), 'é'.repeat(127) + 'x', '😀'.repeat(63) + 'abc']) {
    w.shortstr(s);
    const b = w.take()!;
    assert.equal(b[0], Buffer.byteLength(s));
    assert.equal(b.toString('utf8', 1), s);
  }
  for (const s of ['x'.repeat(256), '☃'.repeat(86), 'é'.repeat(128)]) {
    assert.throws(
      () => w.shortstr(s),
      (e: unknown) => e instanceof CodecError && /255/.test(e.message),
    );
    assert.equal(w.pending, 0);
  }
});

test('longstr from a string or a Buffer; raw bytes', () => {
  const w = new Writer(4);
  w.longstr('hé');
  w.longstr(Buffer.from([1, 2]));
  w.bytes(Buffer.from([9]));
  assert.deepEqual([...w.take()!], [0, 0, 0, 3, 0x68, 0xc3, 0xa9, 0, 0, 0, 2, 1, 2, 9]);
});

test('growing keeps exactly the pending bytes', () => {
  const w = new Writer(16);
  w.bytes(Buffer.alloc(10, 1));
  const first = w.take()!;
  w.bytes(Buffer.alloc(5, 2));
  const buf = w.buf;
  w.ensure(100);
  assert.notEqual(w.buf, buf);
  assert.equal(w.start, 0);
  assert.equal(w.pos, 5);
  assert.equal(w.pending, 5);
  w.bytes(Buffer.alloc(3, 3));
  assert.deepEqual([...w.take()!], [2, 2, 2, 2, 2, 3, 3, 3]);
  assert.deepEqual([...first], Array(10).fill(1));
});

test('take(): null when empty; views are never overwritten', () => {
  const w = new Writer(8192);
  assert.equal(w.take(), null);
  const views: Buffer[] = [];
  for (let i = 0; i < 50; i++) {
    w.bytes(Buffer.alloc(1000, i));
    views.push(w.take()!);
  }
  views.forEach((v, i) =>
    assert.ok(
      v.every((x) => x === i),
      `view ${i}`,
    ),
  );
  assert.equal(w.take(), null);
});

test('take() starts a fresh buffer of the original size when less than 4096 bytes are left', () => {
  const w = new Writer(16384);
  w.bytes(Buffer.alloc(10000));
  const buf = w.buf;
  w.take();
  assert.equal(w.buf, buf); // 6384 left: carries on after the view
  assert.equal(w.start, 10000);
  w.bytes(Buffer.alloc(3000));
  w.take();
  assert.notEqual(w.buf, buf); // 3384 left: fresh buffer
  assert.equal(w.buf.length, 16384);
  assert.deepEqual([w.start, w.pos], [0, 0]);
});

test('ref() queues a large buffer by reference, in order, counted in pending', () => {
  const w = new Writer(64);
  const big = Buffer.alloc(10000, 7);
  w.u8(1);
  w.ref(big);
  w.u8(2);
  assert.equal(w.pending, 10002);
  const parts = w.takeParts();
  assert.ok(Array.isArray(parts));
  assert.equal(parts.length, 3);
  assert.equal(parts[1], big, 'the very buffer, not a copy');
  assert.deepEqual(Buffer.concat(parts), Buffer.concat([Buffer.from([1]), big, Buffer.from([2])]));
  assert.equal(w.pending, 0);
  assert.equal(w.takeParts(), null);
  // take() still returns one buffer
  w.ref(big);
  w.u8(3);
  assert.equal(w.take()!.length, 10001);
});

test('frameBoundary: many frames in a turn leave as parts, in order, without the buffer growing', () => {
  const w = new Writer(65536);
  const expect: number[] = [];
  for (let i = 0; i < 300; i++) {
    w.frameBoundary();
    const frame = Buffer.alloc(1100, i % 251);
    w.bytes(frame);
    for (const x of frame) expect.push(x);
  }
  const parts = w.takeParts();
  assert.ok(Array.isArray(parts) && parts.length > 5, 'split into parts');
  for (const p of parts as Buffer[]) assert.ok(p.length <= 65536);
  assert.deepEqual([...Buffer.concat(parts as Buffer[])], expect);
});

test('retired buffers are reused only from spare, and what was taken before is never overwritten', () => {
  const w = new Writer(8192);
  w.retired = [];
  w.bytes(Buffer.alloc(6000, 1));
  const first = w.take()!;
  w.bytes(Buffer.alloc(6000, 2)); // less than MIN_ROOM left after the first take: a fresh buffer
  assert.equal(w.retired.length, 1);
  const second = w.take()!;
  assert.ok(first.every((x) => x === 1) && second.every((x) => x === 2));
  // the owner hands the retired buffer back once the socket wrote everything taken from it
  w.spare.push(...w.retired.splice(0));
  w.bytes(Buffer.alloc(7000, 3));
  w.frameBoundary();
  w.bytes(Buffer.alloc(100, 4));
  const out = w.take()!;
  assert.equal(out.length, 7100);
  assert.ok(out.subarray(0, 7000).every((x) => x === 3));
});
