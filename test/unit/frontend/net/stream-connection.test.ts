// frontend/net/stream-connection.ts, the base of the MQTT and STOMP connections (and the Stream protocol's):
// input reaches the protocol's parser with stats counted, output queued in one turn is one socket write,
// a close flushes first and releases once, heart-beats go out only on a quiet line, alarms block a publisher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { Broker } from '../../../../src/core/broker.js';
import type { ResolvedOptions } from '../../../../src/options.js';
import type { Logger } from '../../../../src/util/logger.js';
import type { FrontEndConnection, FrontEndHost } from '../../../../src/frontend/net/front-end-server.js';
import { StreamConnection } from '../../../../src/frontend/net/stream-connection.js';

/** A socket that records what is written and can be fed input. */
class FakeSocket extends Duplex {
  readonly writes: Buffer[] = [];
  ended = false;
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.writes.push(chunk);
    cb();
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.ended = true;
    cb();
  }
}

class Host implements FrontEndHost {
  alarmed = false;
  readonly closed: FrontEndConnection[] = [];
  readonly broker = {
    allocateConnectionId: () => 7,
    alarms: {
      get blocked() {
        return host.alarmed;
      },
    },
  } as unknown as Broker;
  readonly options = {} as ResolvedOptions;
  readonly log = {} as Logger;
  connectionClosed(c: FrontEndConnection): void {
    this.closed.push(c);
  }
}
let host: Host;

class Echo extends StreamConnection {
  readonly chunks: Buffer[] = [];
  releases = 0;
  drains = 0;
  missed = 0;
  protected onChunk(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  protected onDrain(): void {
    this.drains++;
  }
  protected release(): void {
    this.releases++;
  }
  protected override onHeartbeatMissed(): void {
    this.missed++;
  }
  tick(_now: number): void {}
  forceClose(_reason: string): void {
    this.closeSocket();
  }
  send(b: Buffer): void {
    this.output(b);
  }
  silent(now: number, ms: number): boolean {
    return this.silentFor(now, ms);
  }
}

function connection(): { s: FakeSocket; c: Echo } {
  host = new Host();
  const s = new FakeSocket();
  const c = new Echo(host, s, '127.0.0.1', 'tcp');
  return { s, c };
}

test('input goes to the parser and is counted; output of one turn is one write', async () => {
  const { s, c } = connection();
  assert.equal(c.id, 7);
  s.push(Buffer.from('abc'));
  await nextTurn();
  assert.deepEqual(c.chunks.map(String), ['abc']);
  assert.equal(c.stats.recvOct, 3);
  assert.equal(c.stats.recvCnt, 1);
  c.send(Buffer.from('x'));
  c.send(Buffer.from('yz'));
  assert.equal(s.writes.length, 0, 'nothing written before the turn ends');
  await nextTurn();
  assert.deepEqual(s.writes.map(String), ['xyz']);
  assert.equal(c.stats.sendOct, 3);
  assert.equal(c.stats.sendCnt, 1);
  assert.equal(c.canWrite(), true);
});

test('a close writes what is queued, ends the socket, releases once and tells the server', async () => {
  const { s, c } = connection();
  c.open = true;
  c.send(Buffer.from('bye'));
  c.forceClose('test');
  assert.deepEqual(s.writes.map(String), ['bye']);
  assert.equal(c.open, false);
  assert.equal(c.canWrite(), false);
  c.send(Buffer.from('late'));
  s.destroy();
  await sleep(10);
  assert.equal(s.ended, true);
  assert.equal(c.releases, 1, 'released once, although the socket closed after');
  assert.deepEqual(host.closed, [c]);
  assert.deepEqual(s.writes.map(String), ['bye']);
});

test('heart-beats are written only on a quiet line; a silent client misses them', async () => {
  const { s, c } = connection();
  c.startHeartbeats(100, 100, Buffer.from('\n'));
  c.lastRead = 0;
  c.lastWrite = 0;
  await sleep(160);
  assert.ok(s.writes.length >= 1, 'a heart-beat was sent');
  assert.ok(c.missed >= 1, 'the silence was noticed');
  assert.equal(c.silent(Date.now(), 100), true);
  s.pause();
  assert.equal(c.silent(Date.now(), 100), false, 'not while the broker does not read');
  s.destroy();
  await sleep(10);
});

test('a publish during an alarm blocks reading until every alarm has cleared', async () => {
  const { s, c } = connection();
  c.blockIfAlarmed();
  assert.equal(c.blocked, false);
  host.alarmed = true;
  c.blockIfAlarmed();
  assert.equal(c.blocked, true);
  s.push(Buffer.from('p'));
  await nextTurn();
  assert.equal(s.isPaused(), true);
  host.alarmed = false;
  c.alarm(false);
  assert.equal(c.blocked, false);
  assert.equal(s.isPaused(), false);
  s.destroy();
  await sleep(10);
});
