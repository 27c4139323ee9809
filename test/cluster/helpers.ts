// Shared by the cluster tests: management requests to a node, warrenctl against a node, AMQP with retries.
import { connect, type ChannelModel } from 'amqplib';
import type { TestCluster, TestNode } from '../helpers/cluster/cluster.js';
import { warrenctl, type CtlResult } from '../helpers/warrenctl.js';

const AUTH = 'Basic ' + Buffer.from('guest:guest').toString('base64');

export async function api<T = unknown>(
  n: TestNode,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: T }> {
  const r = await fetch(`http://127.0.0.1:${n.ports.management}${path}`, {
    method,
    headers: { authorization: AUTH },
    signal: AbortSignal.timeout(10000),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function metrics(n: TestNode): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${n.ports.prometheus}/metrics`, { signal: AbortSignal.timeout(10000) });
  return r.text();
}

export function ctl(n: TestNode, ...args: string[]): Promise<CtlResult> {
  return warrenctl(`http://127.0.0.1:${n.ports.management}`, ...args);
}

/** Connect to the first of `urls` that accepts, trying them in turn until `timeoutMs` (a client's host list). */
export async function connectAny(urls: string[], timeoutMs = 10000): Promise<{ conn: ChannelModel; url: string }> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; ; i++) {
    const url = urls[i % urls.length]!;
    try {
      const conn = await connect(url);
      conn.on('error', () => {}); // a node going away: the test sees 'close'
      return { conn, url };
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Wait until etcd's in-sync set holds every one of `names` (and, with `exactly`, nothing else). */
export async function waitInSync(c: TestCluster, names: string[], ms = 20000, exactly = false): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const isr = await c.isr();
    if (isr !== null && names.every((n) => isr.includes(n)) && (!exactly || isr.length === names.length)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `in-sync set ${JSON.stringify(isr)} is not ${exactly ? '' : 'a superset of '}${names.join(', ')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Publish `bodies` persistent to `queue` through `url` with confirms; resolves once all are confirmed. */
export async function publishConfirmed(url: string, queue: string, bodies: string[]): Promise<void> {
  const { conn } = await connectAny([url]);
  try {
    const ch = await conn.createConfirmChannel();
    for (const b of bodies) ch.sendToQueue(queue, Buffer.from(b), { persistent: true });
    await ch.waitForConfirms();
  } finally {
    await conn.close().catch(() => {});
  }
}

/** Consume `queue` through `url` until `n` messages came (acking each) or `ms` passed; their bodies in order. */
export async function drain(url: string, queue: string, n: number, ms = 10000): Promise<string[]> {
  const { conn } = await connectAny([url]);
  try {
    const ch = await conn.createChannel();
    await ch.prefetch(200);
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      void ch.consume(queue, (m) => {
        if (m === null) return;
        got.push(m.content.toString());
        ch.ack(m);
        if (got.length >= n) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    // the channel first: amqplib interleaves channels' frames, so a connection.close can overtake the
    // channel's last basic.acks and return those messages (RabbitMQ redelivers them too)
    await ch.close();
    return got;
  } finally {
    await conn.close().catch(() => {});
  }
}
