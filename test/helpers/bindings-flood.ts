// Many bindings, fast: queue.bind with nowait pipelined on one raw AMQP connection (test/wire/wire-client.ts),
// a batch at a time, each batch closed by a queue.declare passive whose declare-ok says the broker has
// handled every bind before it (methods on a channel are handled in order). Used by the 100,000-binding test
// (test/core/bindings-flood.test.ts) and the 1,000,000-binding script (bench/limits/bindings.ts).
import { writeExchangeDeclare, writeQueueBind, writeQueueDeclare } from '../../src/codec/amqp/index.js';
import { methodName } from '../../src/codec/amqp/index.js';
import { WireClient } from '../wire/wire-client.js';

export const queueName = (q: number): string => `bf.q${q}`;
/** Binding i's key: spread over the queues round-robin. */
export const bindingKey = (i: number): string => `k.${i}`;

export interface FloodResult {
  bindings: number;
  ms: number;
}

/** A connection with channel 1 open, ready to flood. */
export async function floodClient(port: number): Promise<WireClient> {
  const c = await WireClient.connect(port);
  c.decodeFrames = true;
  await c.handshake();
  await c.openChannel(1);
  return c;
}

async function sync(c: WireClient, q: string): Promise<void> {
  writeQueueDeclare(c.w, 1, q, true, false, false, false, false, {});
  c.flush();
  const m = await c.waitFor(() => {
    const i = c.frames.findIndex((f) => f.method !== null);
    return i >= 0 ? c.frames.splice(i, 1)[0]!.method : null;
  }, 120000);
  // a close instead of the declare-ok: a bind was refused
  if (methodName(m.id) !== 'queue.declare-ok') throw new Error(`flood: ${methodName(m.id)} ${JSON.stringify(m)}`);
  c.raw.length = 0; // keep the client's memory flat
}

/** Declare `exchange` (type) and `queues` queues, then bind them with `total` keys, `batch` per round trip. */
export async function flood(
  c: WireClient,
  o: { exchange: string; type: string; queues: number; total: number; durable: boolean; batch?: number },
  progress?: (done: number) => void,
): Promise<FloodResult> {
  writeExchangeDeclare(c.w, 1, o.exchange, o.type, false, o.durable, false, false, true, {});
  for (let q = 0; q < o.queues; q++) writeQueueDeclare(c.w, 1, queueName(q), false, o.durable, false, false, true, {});
  c.flush();
  await sync(c, queueName(0));
  const t0 = Date.now();
  const batch = o.batch ?? 5000;
  for (let i = 0; i < o.total;) {
    const end = Math.min(o.total, i + batch);
    for (; i < end; i++) writeQueueBind(c.w, 1, queueName(i % o.queues), o.exchange, bindingKey(i), true, {});
    c.flush();
    await sync(c, queueName(0));
    progress?.(i);
  }
  return { bindings: o.total, ms: Date.now() - t0 };
}
