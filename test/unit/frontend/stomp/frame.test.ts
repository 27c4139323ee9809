// STOMP framing: split reads, heart-beat EOLs, content-length bodies with NULs, 1.1/1.2 header escaping,
// the first of repeated headers, and the limits that keep a bad client from growing the buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, FrameParser, StompError, type StompFrame } from '../../../../src/frontend/stomp/frame.js';

function parse(chunks: (string | Buffer)[], escaping = true, v12 = true): { frames: StompFrame[]; beats: number } {
  const frames: StompFrame[] = [];
  let beats = 0;
  const p = new FrameParser(
    (f) => frames.push(f),
    () => beats++,
  );
  p.escaping = escaping;
  p.v12 = v12;
  for (const c of chunks) p.push(typeof c === 'string' ? Buffer.from(c) : c);
  return { frames, beats };
}

test('a frame split at every byte parses as one', () => {
  const wire = 'SEND\ndestination:/queue/a\n\nhello\0';
  const { frames } = parse(wire.split(''));
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.command, 'SEND');
  assert.equal(frames[0]!.get('destination'), '/queue/a');
  assert.equal(frames[0]!.body.toString(), 'hello');
});

test('EOLs between frames are heart-beats; CRLF line endings are accepted', () => {
  const { frames, beats } = parse(['\n\r\nSEND\r\ndestination:/queue/a\r\n\r\nx\0\n', '\n']);
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.get('destination'), '/queue/a');
  assert.equal(beats, 4);
});

test('content-length bodies may contain NUL', () => {
  const body = Buffer.from([1, 0, 2, 0]);
  const { frames } = parse([Buffer.concat([Buffer.from('SEND\ncontent-length:4\n\n'), body, Buffer.from([0])])]);
  assert.deepEqual(frames[0]!.body, body);
});

test('1.2 escapes are decoded; the first of repeated headers wins; CONNECT is not unescaped', () => {
  const { frames } = parse(['SEND\nk\\cey:a\\nb\\\\c\\r\nfoo:1\nfoo:2\n\n\0CONNECT\nlogin:a\\c\n\n\0']);
  assert.equal(frames[0]!.get('k:ey'), 'a\nb\\c\r');
  assert.equal(frames[0]!.get('foo'), '1');
  assert.equal(frames[1]!.get('login'), 'a\\c');
});

test('an undefined escape, a bad content-length and a missing NUL are errors', () => {
  assert.throws(() => parse(['SEND\nk:\\t\n\n\0']), StompError);
  assert.throws(() => parse(['SEND\ncontent-length:x\n\n\0']), StompError);
  assert.throws(() => parse(['SEND\ncontent-length:1\n\nab\0']), /Missing NUL/);
  assert.throws(() => parse(['send\n\n\0']), /Bad command/);
});

test('headers without an end are bounded', () => {
  assert.throws(() => parse(['SEND\n' + 'x:'.padEnd(70000, 'y')]), /too large/);
});

test('encodeFrame escapes per version and round-trips', () => {
  const wire = encodeFrame('MESSAGE', [['a:b', 'c\nd']], Buffer.from('x'), true, true);
  assert.equal(wire.toString(), 'MESSAGE\na\\cb:c\\nd\n\nx\0');
  const { frames } = parse([wire]);
  assert.equal(frames[0]!.get('a:b'), 'c\nd');
  assert.equal(encodeFrame('CONNECTED', [['v', 'a:b']], null, true, true).toString(), 'CONNECTED\nv:a:b\n\n\0');
});

test('a content-length body split over many reads is joined once and parsed, with a frame after it', () => {
  const body = Buffer.alloc(300000, 7);
  const wire = Buffer.concat([
    // after CONNECT: frames before it are held to 64 KiB (the next test)
    Buffer.from('CONNECT\naccept-version:1.2\n\n\0\nSEND\ncontent-length:300000\n\n'),
    body,
    Buffer.from('\0\nSEND\ndestination:/queue/b\n\nx\0'),
  ]);
  const chunks: Buffer[] = [];
  for (let i = 0; i < wire.length; i += 4096) chunks.push(wire.subarray(i, i + 4096));
  const { frames } = parse(chunks);
  assert.equal(frames.length, 3);
  assert.deepEqual(frames[1]!.body, body);
  assert.equal(frames[2]!.get('destination'), '/queue/b');
});

test('before CONNECT a frame is held to 64 KiB, with or without content-length', () => {
  assert.throws(
    () => parse(['SEND\ncontent-length:65537\n\n']),
    (e: unknown) => e instanceof StompError && e.detail === 'Frame body of 65537 bytes is too large',
  );
  assert.throws(
    () => parse(['SEND\n\n', Buffer.alloc(65537, 0x61)]),
    (e: unknown) => e instanceof StompError && e.detail === 'Frame body is too large',
  );
  assert.equal(parse(['CONNECT\n\n', Buffer.alloc(65536, 0x61), '\0']).frames.length, 1);
});
