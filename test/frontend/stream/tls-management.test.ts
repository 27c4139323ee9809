// The Stream protocol over TLS (RabbitMQ's 5551) with a verified server certificate, and what management
// shows: the overview's stream listeners, stream connections in /api/connections (closable by DELETE) and the
// stream plugin's /api/stream/connections, /api/stream/publishers and /api/stream/consumers (field names as
// rabbitmq_stream_management).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as rs from 'rabbitmq-stream-js-client';
import { selfSignedCert } from '../../helpers/tls-cert.js';
import { connectClient, RawClient, sleep, startStreamBroker, until, type StreamTestBroker } from './helpers.js';

let t: StreamTestBroker;
let cert: Buffer;
before(async () => {
  const pair = selfSignedCert();
  cert = pair.cert;
  t = await startStreamBroker({ streamsPort: 0, amqpsPort: 0, managementPort: 0, tls: { cert, key: pair.key } });
});
after(async () => {
  await t.close();
});

async function api(path: string, method = 'GET'): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`http://127.0.0.1:${t.b.managementPort}${path}`, {
    method,
    headers: { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') },
  });
  const text = await r.text();
  return { status: r.status, body: text === '' ? null : JSON.parse(text) };
}

test('TLS: publish and consume over the TLS listener', async () => {
  const c = await connectClient(t, {
    port: t.b.streamsPort!,
    hostname: 'localhost',
    ssl: { ca: cert, servername: 'localhost' },
  } as never);
  try {
    await c.createStream({ stream: 'tls1', arguments: {} });
    const pub = await c.declarePublisher({ stream: 'tls1' });
    await pub.send(Buffer.from('over tls'));
    await pub.flush();
    const got: string[] = [];
    await c.declareConsumer({ stream: 'tls1', offset: rs.Offset.first() }, (m) => {
      got.push(m.content.toString());
    });
    await until(() => got.length === 1, 5000, 'the delivery');
    assert.deepEqual(got, ['over tls']);
  } finally {
    await c.close();
  }
});

test('management: listeners, connections (closable) and the stream plugin endpoints', async () => {
  const overview = (await api('/api/overview')).body as { listeners: { protocol: string; port: number }[] };
  const protos = overview.listeners.map((l) => `${l.protocol}:${l.port}`);
  assert.ok(protos.includes(`stream:${t.port}`), protos.join(' '));
  assert.ok(protos.includes(`stream/ssl:${t.b.streamsPort}`), protos.join(' '));
  const c = await connectClient(t);
  try {
    await c.createStream({ stream: 'mg', arguments: {} });
    const pub = await c.declarePublisher({ stream: 'mg', publisherRef: 'p-ref' });
    for (let i = 0; i < 3; i++) await pub.send(Buffer.from(`m${i}`));
    await pub.flush();
    let n = 0;
    await c.declareConsumer({ stream: 'mg', offset: rs.Offset.first(), consumerRef: 'c-ref' }, () => {
      n++;
    });
    await until(() => n === 3, 5000, 'deliveries');
    await sleep(100);
    const conns = (await api('/api/connections')).body as Record<string, unknown>[];
    const sc = conns.filter((x) => x['protocol'] === 'stream');
    assert.ok(sc.length >= 1);
    for (const x of sc) {
      assert.equal(x['peer_host'], '127.0.0.1');
      assert.equal(typeof x['peer_port'], 'number');
      assert.equal(x['port'], t.port);
    }
    const streamConns = (await api('/api/stream/connections')).body as Record<string, unknown>[];
    assert.equal(streamConns.length, sc.length);
    const pubs = (await api('/api/stream/publishers')).body as Record<string, unknown>[];
    const p = pubs.find((x) => x['reference'] === 'p-ref')!;
    assert.ok(p, JSON.stringify(pubs));
    assert.deepEqual(p['queue'], { name: 'mg', vhost: '/' });
    assert.equal(p['published'], 3);
    assert.equal(p['confirmed'], 3);
    assert.equal(p['errored'], 0);
    assert.deepEqual(Object.keys(p['connection_details'] as object).sort(), [
      'name',
      'node',
      'peer_host',
      'peer_port',
      'user',
    ]);
    // one stream's publishers (404 for a stream that does not exist), one connection's publishers and consumers
    const mgPubs = (await api('/api/stream/publishers/%2F/mg')).body as Record<string, unknown>[];
    assert.deepEqual(
      mgPubs.map((x) => x['reference']),
      ['p-ref'],
    );
    assert.equal((await api('/api/stream/publishers/%2F/no-such-stream')).status, 404);
    const byConn = async (what: string): Promise<unknown[]> => {
      const all: unknown[] = [];
      for (const x of streamConns) {
        const r = await api(`/api/stream/connections/%2F/${encodeURIComponent(x['name'] as string)}/${what}`);
        assert.equal(r.status, 200);
        all.push(...(r.body as unknown[]));
      }
      return all;
    };
    assert.deepEqual(
      ((await byConn('publishers')) as Record<string, unknown>[]).map((x) => x['reference']),
      ['p-ref'],
    );
    const connCons = (await byConn('consumers')) as Record<string, unknown>[];
    assert.equal(connCons.length, 1);
    assert.equal(typeof connCons[0]!['credits'], 'number');
    assert.equal((await api('/api/stream/connections/%2F/no-such-connection/consumers')).status, 404);
    // the publisher's connection is on the stream's leader: the host it was told to use is the host of the
    // node management names for the stream (rabbitmq-stream-js-client's address-resolver tests compare them)
    const node = ((await api('/api/queues/%2F/mg')).body as { node: string }).node;
    assert.equal(node.split('@')[1], pub.getConnectionInfo().host);
    const cons = (await api('/api/stream/consumers')).body as Record<string, unknown>[];
    const k = cons.find((x) => (x['queue'] as { name: string }).name === 'mg')!;
    assert.ok(k, JSON.stringify(cons));
    assert.equal(k['consumed'], 3);
    assert.equal(k['offset'], 2);
    assert.equal(k['offset_lag'], 0);
    assert.equal(typeof k['credits'], 'number');
    assert.deepEqual(k['queue'], { name: 'mg', vhost: '/' });
  } finally {
    await c.close().catch(() => undefined);
  }
  // DELETE /api/connections/NAME closes a stream connection as RabbitMQ does: the socket, with no Close frame
  // (rabbitmq-stream-js-client 1.0 throws "Unknown response 22" on a server's Close request)
  const raw = await RawClient.connect(t.port);
  await raw.open();
  await sleep(50);
  const conns = (await api('/api/connections')).body as Record<string, unknown>[];
  const mine = conns.find((x) => x['protocol'] === 'stream' && x['peer_port'] === raw.socket.localPort)!;
  assert.ok(mine);
  const r = await api(`/api/connections/${encodeURIComponent(mine['name'] as string)}`, 'DELETE');
  assert.equal(r.status, 204);
  await until(() => raw.closed, 5000, 'the socket to close');
  assert.deepEqual(
    raw.frames.filter((f) => f.name === 'CloseRequest'),
    [],
  );
});
