// Kill -9 (`warren server` as a child process): every confirmed stream message is there after the restart,
// and so is its publisher's sequence (written in the same chunk's trailer), so a producer resuming from
// QueryPublisherSequence neither loses nor duplicates messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import * as rs from 'rabbitmq-stream-js-client';
import { kill9, OTHER_LISTENERS_OFF, spawnWarren, tempDir } from '../../helpers/warren-child.js';
import { silent, until } from './helpers.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

test('kill -9: confirmed stream messages and the publisher sequence survive', async () => {
  const dir = tempDir('warren-stream-kill-');
  const port = await freePort();
  const args = [
    '--amqp-port',
    '0',
    '--bind',
    '127.0.0.1',
    '--data-dir',
    dir,
    ...OTHER_LISTENERS_OFF,
    '--stream-port',
    String(port),
  ];
  const connect = () =>
    rs.connect(
      { hostname: '127.0.0.1', port, username: 'guest', password: 'guest', vhost: '/', heartbeat: 0 },
      silent as never,
    );
  const start = async () => {
    const w = await spawnWarren(args);
    await until(() => /Stream protocol listening/.test(w.stderr()), 10000, 'the stream listener');
    return w;
  };
  let s = await start();
  const c = await connect();
  await c.createStream({ stream: 'k9', arguments: {} });
  const pub = await c.declarePublisher({ stream: 'k9', publisherRef: 'k9-pub' });
  const confirmed = new Set<bigint>();
  pub.on('publish_confirm', (_e, ids) => ids.forEach((i) => confirmed.add(i)));
  for (let i = 1; i <= 500; i++) await pub.basicSend(BigInt(i), Buffer.from(`m${i}`));
  await pub.flush();
  await until(() => confirmed.size === 500, 10000, 'confirms');
  await kill9(s);
  s = await start();
  try {
    const c2 = await connect();
    const pub2 = await c2.declarePublisher({ stream: 'k9', publisherRef: 'k9-pub' });
    assert.equal(await pub2.getLastPublishingId(), 500n);
    const got: string[] = [];
    await c2.declareConsumer({ stream: 'k9', offset: rs.Offset.first() }, (m) => {
      got.push(m.content.toString());
    });
    await until(() => got.length === 500, 10000, 'every confirmed message');
    assert.equal(got[0], 'm1');
    assert.equal(got[499], 'm500');
    await c2.close();
  } finally {
    s.child.kill('SIGTERM');
    await s.exited;
  }
});
