// The soak's traffic: publishers and consumers of every protocol, each a loop of sessions that reconnects
// after a broker restart. Consumers come and go on their own (a session lasts a few seconds, then the
// connection closes with messages unacked, which the broker requeues). Tracked messages go through the
// Ledger; transient traffic is only counted.
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Ledger } from './ledger.mjs';
import { Stomp } from './stomp.mjs';
import { streamWorkers } from './stream.mjs';

const rand = (a, b) => a + Math.random() * (b - a);
/** Resolves after ms, or earlier when `until` settles. */
const wait = (ms, until) => Promise.race([sleep(ms), until]);

/** Queues and exchanges, declared by every AMQP session (idempotent). */
export const DURABLE_QUEUES = ['soak.classic', 'soak.quorum', 'soak.prio', 'soak.dead', 'soak.delayedq', 'soak.ttl'];
async function declare(ch) {
  await ch.assertQueue('soak.classic', { durable: true });
  await ch.assertQueue('soak.quorum', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.assertQueue('soak.prio', { durable: true, arguments: { 'x-max-priority': 9 } });
  await ch.assertExchange('soak.dlx', 'direct', { durable: true });
  await ch.assertQueue('soak.dead', { durable: true });
  await ch.bindQueue('soak.dead', 'soak.dlx', 'dead');
  // per-queue TTL 1 s, and half the messages carry a shorter per-message TTL; no consumer: all dead-letter
  await ch.assertQueue('soak.ttl', {
    durable: true,
    arguments: { 'x-message-ttl': 1000, 'x-dead-letter-exchange': 'soak.dlx', 'x-dead-letter-routing-key': 'dead' },
  });
  await ch.assertExchange('soak.delayed', 'x-delayed-message', {
    durable: true,
    arguments: { 'x-delayed-type': 'direct' },
  });
  await ch.assertQueue('soak.delayedq', { durable: true });
  await ch.bindQueue('soak.delayedq', 'soak.delayed', 'd');
  await ch.assertQueue('soak.transient', { durable: false });
  await ch.assertQueue('soak.probe', { durable: true });
}

/** A worker: sessions one after another until ctx.done; a session's error (a restart) ends it. */
async function forever(ctx, name, session) {
  ctx.stats[name] = { sessions: 0, errors: 0 };
  while (!ctx.done) {
    ctx.stats[name].sessions++;
    try {
      await session();
    } catch (e) {
      ctx.stats[name].errors++;
      if (process.env.SOAK_DEBUG) console.error(name, e.message);
    }
    await sleep(rand(200, 800));
  }
}

async function amqpConnect(ctx) {
  const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${ctx.ports.amqp}/`, { timeout: 5000 });
  c.on('error', () => {});
  const closed = new Promise((r) => c.on('close', r));
  return { c, closed };
}

/** Tracked AMQP publishers, one confirm channel each, all on one connection. */
function amqpPublishers(ctx) {
  const kinds = [
    { stream: 'classic', send: (ch, b, id, cb) => ch.sendToQueue('soak.classic', b, { persistent: true }, cb) },
    { stream: 'quorum', send: (ch, b, id, cb) => ch.sendToQueue('soak.quorum', b, { persistent: true }, cb) },
    {
      stream: 'priority',
      send: (ch, b, id, cb) => ch.sendToQueue('soak.prio', b, { persistent: true, priority: id % 10 }, cb),
    },
    {
      stream: 'ttl-dlx',
      send: (ch, b, id, cb) =>
        ch.sendToQueue('soak.ttl', b, { persistent: true, ...(id % 2 ? { expiration: '300' } : {}) }, cb),
    },
    {
      stream: 'delayed',
      send: (ch, b, id, cb) =>
        ch.publish('soak.delayed', 'd', b, { persistent: true, headers: { 'x-delay': id % 3000 } }, cb),
    },
  ];
  return forever(ctx, 'amqp-publishers', async () => {
    const { c, closed } = await amqpConnect(ctx);
    try {
      const chans = [];
      for (const k of kinds) {
        const ch = await c.createConfirmChannel();
        ch.on('error', () => {});
        if (chans.length === 0) await declare(ch);
        chans.push({ ...k, ch, inflight: 0 });
      }
      const perTick = Math.max(1, Math.round((ctx.rate * 40) / 10));
      while (!ctx.stopping) {
        for (const p of chans) {
          if (p.inflight > 2000) continue; // the broker is slow: do not queue up without bound
          for (let i = 0; i < perTick; i++) {
            const id = (ctx.nextId[p.stream] = (ctx.nextId[p.stream] ?? -1) + 1);
            p.inflight++;
            p.send(p.ch, Buffer.from(Ledger.body(p.stream, id, id % 1500)), id, (err) => {
              p.inflight--;
              if (!err) ctx.ledger.confirmed(p.stream, id);
            });
          }
        }
        if ((await Promise.race([sleep(100), closed.then(() => 'closed')])) === 'closed') return;
      }
      // stopping: the last confirms, then close
      for (let i = 0; i < 100 && chans.some((p) => p.inflight > 0); i++) await wait(100, closed);
      await c.close().catch(() => {});
    } finally {
      c.connection?.stream?.destroy();
    }
  });
}

/** Consumers of the tracked queues that come and go; 3% of deliveries nacked with requeue. */
function amqpConsumer(ctx, name, queues) {
  return forever(ctx, name, async () => {
    const { c, closed } = await amqpConnect(ctx);
    const lifetime = rand(5000, 25000);
    const t0 = Date.now();
    try {
      const syncs = [];
      let first = true;
      for (const q of queues) {
        const ch = await c.createChannel();
        ch.on('error', () => {});
        if (first) await declare(ch);
        first = false;
        await ch.prefetch(20);
        let pending = [];
        await ch.consume(q, (m) => {
          if (m === null) return;
          const { stream, id } = Ledger.parse(m.content);
          ctx.ledger.delivered(stream, id, m.fields.redelivered);
          if (!ctx.draining && Math.random() < 0.03) return ch.nack(m, false, true);
          ctx.ledger.acked(stream, id);
          pending.push([stream, id]);
          ch.ack(m);
        });
        // every 100 ms a round trip on the channel marks the acks sent before it as processed
        syncs.push(
          (async () => {
            while (!ctx.done) {
              await wait(100, closed);
              const batch = pending;
              pending = [];
              await ch.checkQueue(q);
              for (const [s, id] of batch) ctx.ledger.processed(s, id);
            }
          })().catch(() => {}),
        );
      }
      while (!ctx.done && (ctx.draining || Date.now() - t0 < lifetime)) {
        if ((await Promise.race([sleep(200), closed.then(() => 'closed')])) === 'closed') return;
      }
      await c.close().catch(() => {});
    } finally {
      c.connection?.stream?.destroy();
    }
  });
}

/** Transient traffic: non-persistent messages to a non-durable queue, an auto-ack consumer. Counted. */
function amqpTransient(ctx) {
  return forever(ctx, 'amqp-transient', async () => {
    const { c, closed } = await amqpConnect(ctx);
    try {
      const ch = await c.createChannel();
      ch.on('error', () => {});
      await declare(ch);
      await ch.consume('soak.transient', () => ctx.counts.transientReceived++, { noAck: true });
      const body = Buffer.alloc(256, 't');
      const perTick = Math.max(1, Math.round((ctx.rate * 100) / 10));
      while (!ctx.stopping) {
        for (let i = 0; i < perTick; i++) ch.sendToQueue('soak.transient', body, { persistent: false });
        ctx.counts.transientSent += perTick;
        if ((await Promise.race([sleep(100), closed.then(() => 'closed')])) === 'closed') return;
      }
      await c.close().catch(() => {});
    } finally {
      c.connection?.stream?.destroy();
    }
  });
}

/** pika (Python) publishing to soak.classic, a child process that reconnects by itself. */
function pikaPublisher(ctx) {
  const script = fileURLToPath(new URL('./pika-publisher.py', import.meta.url));
  const child = spawn('/usr/bin/python3', [script, String(ctx.ports.amqp), 'soak.classic', String(20 * ctx.rate)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  ctx.children.push(child);
  createInterface({ input: child.stdout }).on('line', (l) => {
    const m = /^C (\d+)$/.exec(l);
    if (m) ctx.ledger.confirmed('pika', Number(m[1]));
  });
  return new Promise((r) => child.on('exit', r));
}

/** MQTT: a QoS 1 publisher (PUBACK counts as confirm) and QoS 0 traffic. */
function mqttPublisher(ctx) {
  return forever(ctx, 'mqtt-publisher', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ctx.ports.mqtt}`, {
      clientId: 'soak-pub',
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      username: 'guest',
      password: 'guest',
    });
    client.on('error', () => {});
    const closed = new Promise((r) => client.on('close', r));
    try {
      const perTick = Math.max(1, Math.round((ctx.rate * 30) / 10));
      let inflight = 0;
      while (!ctx.stopping) {
        for (let i = 0; i < perTick && inflight < 2000; i++) {
          const id = (ctx.nextId.mqtt = (ctx.nextId.mqtt ?? -1) + 1);
          inflight++;
          client.publish('soak/m1', Ledger.body('mqtt', id, id % 1000), { qos: 1 }, (err) => {
            inflight--;
            if (!err) ctx.ledger.confirmed('mqtt', id);
          });
          client.publish('soak/m0', 'qos0', { qos: 0 });
          ctx.counts.mqttQos0Sent++;
        }
        if ((await Promise.race([sleep(100), closed.then(() => 'closed')])) === 'closed') return;
      }
      for (let i = 0; i < 100 && inflight > 0; i++) await wait(100, closed);
      await client.endAsync().catch(() => {});
    } finally {
      client.end(true);
    }
  });
}

/**
 * MQTT subscribers: a persistent session (clean: false) at QoS 1 that comes and goes (its queue keeps the
 * messages meanwhile), and a clean QoS 0 one. mqtt.js sends PUBACK as the message is handled; an
 * UNSUBSCRIBE round trip afterwards proves the PUBACKs before it were processed.
 */
function mqttSubscribers(ctx) {
  const qos1 = forever(ctx, 'mqtt-subscriber', async () => {
    // connect, not connectAsync: the session's queued messages may arrive right after CONNACK, before an
    // awaited connectAsync would let us add the handler (mqtt.js would PUBACK them unseen)
    const client = mqtt.connect(`mqtt://127.0.0.1:${ctx.ports.mqtt}`, {
      clientId: 'soak-sub',
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      username: 'guest',
      password: 'guest',
    });
    client.on('error', () => {});
    const closed = new Promise((r) => client.on('close', r));
    let pending = [];
    client.on('message', (_topic, payload) => {
      const { id } = Ledger.parse(payload);
      ctx.ledger.delivered('mqtt', id, null);
      ctx.ledger.acked('mqtt', id);
      pending.push(id);
    });
    try {
      await Promise.race([
        new Promise((r) => client.once('connect', r)),
        closed.then(() => Promise.reject(new Error('closed before CONNACK'))),
      ]);
      await client.subscribeAsync('soak/m1', { qos: 1 });
      const lifetime = rand(5000, 25000);
      const t0 = Date.now();
      while (!ctx.done && (ctx.draining || Date.now() - t0 < lifetime)) {
        if ((await Promise.race([sleep(200), closed.then(() => 'closed')])) === 'closed') return;
        const batch = pending;
        pending = [];
        await client.unsubscribeAsync('soak/none');
        for (const id of batch) ctx.ledger.processed('mqtt', id);
      }
      await client.endAsync().catch(() => {});
    } finally {
      client.end(true);
    }
  });
  const qos0 = forever(ctx, 'mqtt-qos0-subscriber', async () => {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ctx.ports.mqtt}`, {
      clientId: 'soak-sub0',
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      username: 'guest',
      password: 'guest',
    });
    client.on('error', () => {});
    const closed = new Promise((r) => client.on('close', r));
    client.on('message', () => ctx.counts.mqttQos0Received++);
    try {
      await client.subscribeAsync('soak/m0', { qos: 0 });
      await Promise.race([
        closed,
        (async () => {
          while (!ctx.done) await sleep(200);
        })(),
      ]);
    } finally {
      client.end(true);
    }
  });
  return Promise.all([qos1, qos0]);
}

/** STOMP: receipted persistent SENDs to /queue/soak.stomp; a client-individual subscriber that comes and goes. */
function stompWorkers(ctx) {
  const pub = forever(ctx, 'stomp-publisher', async () => {
    const s = new Stomp(ctx.ports.stomp);
    try {
      await s.open();
      const perTick = Math.max(1, Math.round((ctx.rate * 30) / 10));
      let inflight = 0;
      while (!ctx.stopping) {
        for (let i = 0; i < perTick && inflight < 2000; i++) {
          const id = (ctx.nextId.stomp = (ctx.nextId.stomp ?? -1) + 1);
          inflight++;
          s.receipted(
            'SEND',
            { destination: '/queue/soak.stomp', persistent: 'true' },
            Ledger.body('stomp', id, id % 800),
          ).then(
            () => {
              inflight--;
              ctx.ledger.confirmed('stomp', id);
            },
            () => inflight--,
          );
        }
        if ((await Promise.race([sleep(100), s.closed.then(() => 'closed')])) === 'closed') return;
      }
      for (let i = 0; i < 100 && inflight > 0; i++) await wait(100, s.closed);
    } finally {
      s.close();
    }
  });
  const sub = forever(ctx, 'stomp-subscriber', async () => {
    const s = new Stomp(ctx.ports.stomp);
    try {
      await s.open();
      s.onMessage = (h, body) => {
        const { id } = Ledger.parse(body);
        ctx.ledger.delivered('stomp', id, h.redelivered === 'true');
        if (!ctx.draining && Math.random() < 0.03) return s.frame('NACK', { id: h.ack });
        ctx.ledger.acked('stomp', id);
        // the RECEIPT of an ACK says it was processed
        s.receipted('ACK', { id: h.ack }).then(
          () => ctx.ledger.processed('stomp', id),
          () => {},
        );
      };
      await s.receipted('SUBSCRIBE', {
        id: '0',
        destination: '/queue/soak.stomp',
        ack: 'client-individual',
        'prefetch-count': '20',
      });
      const lifetime = rand(5000, 25000);
      const t0 = Date.now();
      while (!ctx.done && (ctx.draining || Date.now() - t0 < lifetime)) {
        if ((await Promise.race([sleep(200), s.closed.then(() => 'closed')])) === 'closed') return;
      }
    } finally {
      s.close();
    }
  });
  return Promise.all([pub, sub]);
}

/** Every worker; resolves when ctx.done is set and each has wound down. */
export function startTraffic(ctx) {
  return Promise.all([
    amqpPublishers(ctx),
    amqpConsumer(ctx, 'amqp-consumer-a', ['soak.classic', 'soak.quorum', 'soak.prio']),
    amqpConsumer(ctx, 'amqp-consumer-b', ['soak.classic', 'soak.dead', 'soak.delayedq']),
    amqpConsumer(ctx, 'amqp-consumer-c', ['soak.quorum', 'soak.prio', 'soak.dead', 'soak.delayedq']),
    amqpTransient(ctx),
    ctx.pika ? pikaPublisher(ctx) : null,
    mqttPublisher(ctx),
    mqttSubscribers(ctx),
    stompWorkers(ctx),
    streamWorkers(ctx, forever),
  ]);
}

export { declare, amqpConnect };
