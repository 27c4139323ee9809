// The soak's Stream protocol traffic (rabbitmq-stream-js-client): a publisher with confirms and a consumer
// that resumes from its server-side stored offset (StoreOffset / QueryOffset under the reference
// `soak-reader`), on the stream `soak.stream`, both reconnecting after each restart. A message counts as
// consumed when the consumer reads it (a stream is not acked); reading again after a restart is a duplicate
// (a stored offset may trail what was read, and after a kill -9 what was stored last may be lost), allowed.
// After the final kill -9 `finalStreamCheck` reads the whole stream from `first`: every confirmed message must
// still be there.
import * as rs from 'rabbitmq-stream-js-client';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ledger } from './ledger.mjs';

const STREAM = 'soak.stream';
/** The ledger's name for this traffic. */
export const STREAM_FLOW = 'stream-protocol';
const FLOW = STREAM_FLOW;
const REFERENCE = 'soak-reader';
const rand = (a, b) => a + Math.random() * (b - a);

/** Close, without waiting long for a broker that is gone. */
const closeClient = (client) => Promise.race([client.close().catch(() => {}), sleep(2000)]);

async function connect(ctx) {
  let onClose;
  const closed = new Promise((r) => (onClose = r));
  const client = await rs.connect({
    hostname: '127.0.0.1',
    port: ctx.ports.stream,
    username: 'guest',
    password: 'guest',
    vhost: '/',
    listeners: { connection_closed: () => onClose('closed') },
  });
  await client.createStream({ stream: STREAM, arguments: {} });
  return { client, closed };
}

async function publisherSession(ctx) {
  const { client, closed } = await connect(ctx);
  try {
    const publisher = await client.declarePublisher({ stream: STREAM });
    const pending = new Map();
    publisher.on('publish_confirm', (err, ids) => {
      for (const pid of ids) {
        const id = pending.get(pid);
        pending.delete(pid);
        if (err === null && id !== undefined) ctx.ledger.confirmed(FLOW, id);
      }
    });
    const perTick = Math.max(1, Math.round((ctx.rate * 40) / 10));
    while (!ctx.stopping) {
      if (pending.size < 2000) {
        for (let i = 0; i < perTick; i++) {
          const id = (ctx.nextId[FLOW] = (ctx.nextId[FLOW] ?? -1) + 1);
          const r = await publisher.send(Buffer.from(Ledger.body(FLOW, id, id % 1500)));
          if (r.publishingId !== undefined) pending.set(r.publishingId, id);
        }
      }
      if ((await Promise.race([sleep(100), closed])) === 'closed') return;
    }
    // stopping: the last confirms, then close
    for (let i = 0; i < 100 && pending.size > 0; i++) await Promise.race([sleep(100), closed]);
  } finally {
    await closeClient(client);
  }
}

async function consumerSession(ctx) {
  const { client, closed } = await connect(ctx);
  const lifetime = rand(5000, 25000);
  const t0 = Date.now();
  try {
    let start = rs.Offset.first();
    try {
      start = rs.Offset.offset((await client.queryOffset({ reference: REFERENCE, stream: STREAM })) + 1n);
    } catch {
      // nothing stored yet: from the first message
    }
    let last = -1n;
    const consumer = await client.declareConsumer({ stream: STREAM, offset: start, consumerRef: REFERENCE }, (m) => {
      const { stream, id } = Ledger.parse(m.content);
      ctx.ledger.delivered(stream, id, null);
      ctx.ledger.acked(stream, id);
      if (m.offset !== undefined) last = m.offset;
    });
    let stored = -1n;
    while (!ctx.done && (ctx.draining || Date.now() - t0 < lifetime)) {
      if ((await Promise.race([sleep(1000), closed])) === 'closed') return;
      if (last > stored) {
        await consumer.storeOffset(last);
        stored = last;
      }
    }
  } finally {
    await closeClient(client);
  }
}

/** The publisher and the consumer, each a loop of sessions (`forever` from workers.mjs). */
export function streamWorkers(ctx, forever) {
  return Promise.all([
    forever(ctx, 'stream-publisher', () => publisherSession(ctx)),
    forever(ctx, 'stream-consumer', () => consumerSession(ctx)),
  ]);
}

/**
 * After the final kill -9: the ids of confirmed messages the stream no longer holds (read from `first` until
 * nothing new arrives for 2 s, at most 60 s).
 */
export async function finalStreamCheck(ctx) {
  const { client } = await connect(ctx);
  const seen = new Set();
  let at = Date.now();
  try {
    await client.declareConsumer({ stream: STREAM, offset: rs.Offset.first() }, (m) => {
      seen.add(Ledger.parse(m.content).id);
      at = Date.now();
    });
    const t0 = Date.now();
    while (Date.now() - at < 2000 && Date.now() - t0 < 60000) await sleep(200);
  } finally {
    await closeClient(client);
  }
  const missing = [];
  for (const id of ctx.ledger.stream(FLOW).confirmed) if (!seen.has(id)) missing.push(id);
  return { read: seen.size, missing };
}
