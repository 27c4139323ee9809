// Records real client sessions against Warren for the mutation fuzzers: amqplib, mqtt.js (3.1.1 and 5),
// @stomp/stompjs and rabbitmq-stream-js-client talk to an in-process Warren through a TCP proxy that keeps every byte the client
// sent; the sessions are written to test/fuzz/corpus/<protocol>.json (base64 chunks, one list per session).
// Run again after a client upgrade: `npm run build && node dist/bench/fuzz/record.js [amqp|mqtt|stomp|stream...]`
// (no argument: all four).
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { Client } from '@stomp/stompjs';
import * as rs from 'rabbitmq-stream-js-client';
import { startBroker } from '../../src/index.js';
import { REPO_ROOT } from '../../test/helpers/paths.js';
import { TcpStompSocket } from '../../test/fuzz/lib/stomp-socket.js';

type Session = { client: string; chunks: string[] };

/** A proxy to `port`: each accepted connection's client bytes go into a new session. */
async function proxy(
  port: number | (() => number),
  client: string,
  out: Session[],
): Promise<{ port: number; close(): void }> {
  const server = net.createServer((c) => {
    const s: Session = { client, chunks: [] };
    out.push(s);
    const up = net.connect(typeof port === 'number' ? port : port(), '127.0.0.1');
    c.on('data', (d: Buffer) => {
      s.chunks.push(d.toString('base64'));
      up.write(d);
    });
    up.on('data', (d: Buffer) => c.write(d));
    c.on('close', () => up.destroy());
    up.on('close', () => c.destroy());
    c.on('error', () => {});
    up.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

async function amqplibSessions(port: number): Promise<void> {
  const url = `amqp://guest:guest@127.0.0.1:${port}/`;
  // 1: confirms, declares with arguments, bindings, publish with every property, consume, ack, nack, get
  const c = await amqp.connect(url);
  const ch = await c.createConfirmChannel();
  await ch.assertExchange('rec.x', 'topic', { durable: false, alternateExchange: 'amq.fanout' });
  const q = await ch.assertQueue('rec.q', {
    durable: false,
    arguments: { 'x-message-ttl': 60000, 'x-max-length': 100, 'x-max-priority': 5, 'x-queue-mode': 'default' },
  });
  await ch.bindQueue(q.queue, 'rec.x', 'a.*.#');
  await ch.prefetch(10);
  for (let i = 0; i < 5; i++) {
    ch.publish('rec.x', `a.b.${i}`, Buffer.from(`body ${i}`.repeat(i * 10)), {
      contentType: 'text/plain',
      contentEncoding: 'utf8',
      headers: { n: i, s: 'x', f: 1.5, b: true, l: [1, 'two', { three: 3 }], t: { nested: { deep: null } } },
      deliveryMode: 2,
      priority: i,
      correlationId: 'c',
      replyTo: 'rec.reply',
      expiration: '60000',
      messageId: 'm',
      timestamp: 1700000000,
      type: 't',
      userId: 'guest',
      appId: 'a',
    });
  }
  await ch.waitForConfirms();
  const got = await ch.get(q.queue);
  if (got) ch.nack(got, false, true);
  await new Promise<void>((resolve) => {
    let n = 0;
    void ch.consume(q.queue, (m) => {
      if (!m) return;
      ch.ack(m);
      if (++n === 5) resolve();
    });
  });
  await ch.unbindQueue(q.queue, 'rec.x', 'a.*.#');
  await ch.deleteQueue(q.queue);
  await ch.deleteExchange('rec.x');
  await c.close();
  // 2: a plain channel: exclusive server-named queue, transactions, recover, reject, cancel, flow
  const c2 = await amqp.connect(url);
  const ch2 = await c2.createChannel();
  const q2 = await ch2.assertQueue('', { exclusive: true });
  const tag = await ch2.consume(q2.queue, () => {}, { noAck: false, priority: 3, arguments: { 'x-priority': 3 } });
  await ch2.cancel(tag.consumerTag);
  ch2.sendToQueue(q2.queue, Buffer.from('hello'), { headers: { 'x-delay': 10 } });
  await ch2.recover();
  const m2 = await ch2.get(q2.queue);
  if (m2) ch2.reject(m2, false);
  await ch2.purgeQueue(q2.queue);
  await ch2.checkQueue(q2.queue);
  await ch2.close();
  await c2.close();
}

async function mqttSessions(port: number): Promise<void> {
  for (const protocolVersion of [4, 5] as const) {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      username: 'guest',
      password: 'guest',
      reconnectPeriod: 0,
      protocolVersion,
      clientId: `rec-${protocolVersion}`,
      clean: true,
      keepalive: 30,
      will: { topic: 'rec/will', payload: Buffer.from('gone'), qos: 1, retain: false },
      properties: protocolVersion === 5 ? { sessionExpiryInterval: 0, receiveMaximum: 20, topicAliasMaximum: 5 } : {},
    });
    await c.subscribeAsync({ 'rec/+/a': { qos: 1 }, 'rec/#': { qos: 0 } });
    await c.publishAsync('rec/x/a', 'qos1', {
      qos: 1,
      properties:
        protocolVersion === 5
          ? { contentType: 'text/plain', userProperties: { k: 'v' }, messageExpiryInterval: 60, responseTopic: 'r/t' }
          : {},
    });
    await c.publishAsync('rec/y', 'qos0', { qos: 0, retain: true });
    await c.publishAsync('rec/y', '', { qos: 0, retain: true });
    await c.unsubscribeAsync('rec/#');
    await c.endAsync();
  }
}

async function stompSessions(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const c = new Client({
      webSocketFactory: () => new TcpStompSocket(port),
      connectHeaders: { login: 'guest', passcode: 'guest', host: '/' },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 10000,
      onStompError: (f) => reject(new Error(f.headers.message)),
      onConnect: () => {
        let n = 0;
        const sub = c.subscribe(
          '/queue/rec.stomp',
          (m) => {
            m.ack();
            if (++n === 3) {
              sub.unsubscribe();
              const tx = c.begin();
              c.publish({ destination: '/topic/rec.t', body: 'in tx', headers: { transaction: tx.id } });
              tx.commit();
              c.publish({ destination: '/exchange/amq.direct/k', body: 'x', headers: { receipt: 'r1' } });
              c.watchForReceipt('r1', () => {
                void c.deactivate().then(resolve);
              });
            }
          },
          { ack: 'client-individual', 'prefetch-count': '5' },
        );
        for (let i = 0; i < 3; i++)
          c.publish({
            destination: '/queue/rec.stomp',
            body: `m${i}`,
            headers: { persistent: 'true', 'content-type': 'text/plain', 'x-custom': 'a:b\\c' },
          });
      },
    });
    c.activate();
  });
}

const silent = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: () => undefined };

/**
 * rabbitmq-stream-js-client: the locator connection and the publisher's and consumers' own connections (the
 * broker advertises the proxy's port, so they all come through it): streams with arguments, a super stream,
 * publishers with and without a reference (deduplication), publishes with properties, application
 * properties and filter values, consumers from first, offset and next with credit, a filtered consumer, a
 * single active consumer, store/query offset, metadata, stats, delete.
 */
async function streamSessions(port: number): Promise<void> {
  const c = await rs.connect(
    { hostname: '127.0.0.1', port, username: 'guest', password: 'guest', vhost: '/', heartbeat: 0 } as rs.ClientParams,
    silent as never,
  );
  await c.createStream({ stream: 'rec.s', arguments: { 'max-length-bytes': 10000000, 'max-age': '1h' } });
  await c.createSuperStream({ streamName: 'rec.ss' }, undefined, 2);
  const pub = await c.declarePublisher({ stream: 'rec.s', publisherRef: 'rec-pub' }, (m) =>
    String(m.applicationProperties?.color ?? ''),
  );
  for (let i = 0; i < 5; i++)
    await pub.send(Buffer.from(`m${i}`.repeat(i * 20)), {
      applicationProperties: { color: i % 2 ? 'red' : 'blue', n: i + 1 }, // (the client reads a 0 back as an error)
      messageProperties: { messageId: `id${i}`, contentType: 'text/plain', correlationId: 'c', replyTo: 'r' },
    });
  await pub.flush();
  await pub.getLastPublishingId();
  const plain = await c.declarePublisher({ stream: 'rec.s' });
  await plain.send(Buffer.from('plain'));
  await plain.flush();
  let got = 0;
  const all = await c.declareConsumer(
    { stream: 'rec.s', offset: rs.Offset.first(), consumerRef: 'rec-c' },
    () => void got++,
  );
  const filtered = await c.declareConsumer(
    {
      stream: 'rec.s',
      offset: rs.Offset.offset(1n),
      filter: { values: ['red'], postFilterFunc: () => true, matchUnfiltered: true },
    },
    () => {},
  );
  const sac = await c.declareConsumer(
    { stream: 'rec.s', offset: rs.Offset.next(), singleActive: true, consumerRef: 'rec-sac' },
    () => {},
  );
  for (let t = 0; got < 6 && t < 100; t++) await new Promise((r) => setTimeout(r, 20));
  await all.storeOffset(3n);
  // StoreOffset has no response and went on the consumer's connection: query until it is seen
  for (let t = 0; t < 50; t++) {
    const got = await c.queryOffset({ reference: 'rec-c', stream: 'rec.s' }).catch(() => null);
    if (got !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await c.queryMetadata({ streams: ['rec.s', 'nope'] });
  await c.streamStatsRequest('rec.s');
  const ssPub = await c.declareSuperStreamPublisher(
    { superStream: 'rec.ss' },
    (_content, o) => o.messageProperties?.messageId,
  );
  await ssPub.send(Buffer.from('to a partition'), { messageProperties: { messageId: 'k1' } });
  await c.closeConsumer(filtered.extendedId);
  await c.closeConsumer(sac.extendedId);
  await c.closeConsumer(all.extendedId);
  await c.deletePublisher(pub.extendedId);
  await plain.close();
  await c.deleteSuperStream({ streamName: 'rec.ss' });
  await c.deleteStream({ stream: 'rec.s' });
  await c.close();
}

const only = process.argv.slice(2);
const wanted = (p: string): boolean => only.length === 0 || only.includes(p);

const b = await startBroker({
  amqpPort: 0,
  mqttPort: 0,
  stompPort: 0,
  bind: '127.0.0.1',
  storage: 'memory',
  logLevel: 'warn',
});
for (const [name, port, run] of [
  ['amqp', b.amqpPort!, amqplibSessions],
  ['mqtt', b.mqttPort!, mqttSessions],
  ['stomp', b.stompPort!, stompSessions],
] as const) {
  if (!wanted(name)) continue;
  const sessions: Session[] = [];
  const p = await proxy(port, name === 'amqp' ? 'amqplib' : name === 'mqtt' ? 'mqtt.js' : 'stompjs', sessions);
  await run(p.port);
  await new Promise((r) => setTimeout(r, 200));
  p.close();
  const file = join(REPO_ROOT, 'test/fuzz/corpus', `${name}.json`);
  writeFileSync(file, JSON.stringify({ recorded: new Date().toISOString(), sessions }, null, 1) + '\n');
  console.log(`${file}: ${sessions.length} sessions, ${sessions.reduce((n, s) => n + s.chunks.length, 0)} chunks`);
}
await b.close();

// the Stream protocol: a broker of its own, advertising the proxy's port
if (wanted('stream')) await recordStream();

async function recordStream(): Promise<void> {
  const streamRecorded: Session[] = [];
  let streamPort = 0;
  const sp = await proxy(() => streamPort, 'rabbitmq-stream-js-client', streamRecorded);
  const sb = await startBroker({
    amqpPort: 0,
    streamPort: 0,
    streamAdvertisedHost: '127.0.0.1',
    streamAdvertisedPort: sp.port,
    bind: '127.0.0.1',
    storage: 'memory',
    logLevel: 'warn',
  });
  streamPort = sb.streamPort!;
  await streamSessions(sp.port);
  await new Promise((r) => setTimeout(r, 200));
  sp.close();
  const streamFile = join(REPO_ROOT, 'test/fuzz/corpus', 'stream.json');
  writeFileSync(
    streamFile,
    JSON.stringify({ recorded: new Date().toISOString(), sessions: streamRecorded }, null, 1) + '\n',
  );
  console.log(`${streamFile}: ${streamRecorded.length} sessions`);
  await sb.close();
}
