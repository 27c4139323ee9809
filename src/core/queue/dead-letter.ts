// Dead-lettering (https://www.rabbitmq.com/docs/dlx, rabbit_dead_letter.erl): a message rejected without
// requeue, expired, dropped by a length limit or over its delivery limit is republished to the queue's
// dead-letter exchange, with the dead-letter routing key if set (else its own routing key), its death
// recorded in its headers by its protocol's format (AMQP: x-death), and its expiration removed. A missing
// DLX drops the message, as in RabbitMQ. Cycles are cut as RabbitMQ cuts them: a message reaching a queue
// it already died in is dropped unless some death in that cycle was a rejection (a client's decision).
import { roughNow } from '../../util/rough-clock.js';
import { Message, type DeathEvent, type DeathReason } from '../message.js';
import type { Exchange } from '../exchange/exchange.js';
import type { Queue } from './queue.js';

/** What dead-lettering needs of the vhost: exchange lookup and routing. */
export interface DeadLetterRouter {
  readonly exchanges: ReadonlyMap<string, Exchange>;
  route(x: Exchange, msg: Message): Queue[];
}

/** The copy of `m` that dead-lettering from `q` publishes to exchange `dlx`. */
export function deadLetterCopy(m: Message, q: Queue, reason: DeathReason, dlx: string): Message {
  const death: DeathEvent = {
    queue: q.name,
    reason,
    exchange: m.exchange,
    routingKeys: m.cc === null ? [m.routingKey] : [m.routingKey, ...m.cc],
    time: Math.floor(Date.now() / 1000),
    originalExpiration: m.expiration,
  };
  const props = m.format.deadLettered(m.props, death);
  const dlrk = q.settings.deadLetterRoutingKey;
  const dm = new Message(
    m.format,
    dlx,
    dlrk ?? m.routingKey,
    props,
    m.body,
    m.persistent,
    m.priority,
    null,
    roughNow(),
    m.publisherId,
  );
  // without a dead-letter routing key the message is routed by its original keys, CC included (3.10)
  if (dlrk === null) dm.cc = m.cc;
  return dm;
}

/** Dead-letter `m` from `q`; returns how many queues it reached. */
export function deadLetter(v: DeadLetterRouter, q: Queue, m: Message, reason: DeathReason): number {
  const name = q.settings.deadLetterExchange;
  if (name === null) return 0;
  const x = v.exchanges.get(name);
  if (x === undefined) return 0;
  let dm: Message;
  try {
    dm = deadLetterCopy(m, q, reason, name);
  } catch {
    // properties the publisher sent malformed (a header table nobody had decoded yet): RabbitMQ would fail
    // to parse them too; the message is dropped rather than let a timer callback throw
    return 0;
  }
  // route() hands back the vhost's scratch array; enqueueing may dead-letter again (a full DLQ), so copy
  const targets = v.route(x, dm).slice();
  // the deaths as the copy records them, for cycle detection, without decoding the copy's headers: this
  // death first, then the earlier ones (from the original, decoded once) minus the entry it replaced
  const deaths = reason === 'rejected' ? null : deathsAfter(m, q.name, reason);
  let n = 0;
  for (const t of targets) {
    if (deaths !== null && isCycle(deaths, t.name)) continue;
    if (t.enqueue(dm)) n++;
  }
  return n;
}

type DeathRef = { queue: unknown; reason: unknown };

function deathsAfter(m: Message, queue: string, reason: DeathReason): DeathRef[] {
  const out: DeathRef[] = [{ queue, reason }];
  const old = m.headers()?.['x-death'];
  if (!Array.isArray(old)) return out;
  for (const d of old) {
    if (d === null || typeof d !== 'object') {
      out.push({ queue: undefined, reason: undefined });
      continue;
    }
    const r = d as Record<string, unknown>;
    if (r['queue'] === queue && r['reason'] === reason && r['exchange'] === m.exchange) continue;
    out.push({ queue: r['queue'], reason: r['reason'] });
  }
  return out;
}

/**
 * rabbit_dead_letter:is_cycle/2: walk the deaths (most recent first) up to the first one in `queue`; a
 * cycle exists if there is one, and it is "fully automatic" (dropped) when none of those deaths, that
 * one included, was a rejection.
 */
export function isCycle(deaths: readonly DeathRef[], queue: string): boolean {
  let i = 0;
  for (; i < deaths.length; i++) if (deaths[i]!.queue === queue) break;
  if (i === deaths.length) return false;
  for (let k = 0; k <= i; k++) {
    const r = deaths[k]!.reason;
    // not a death this broker wrote (a client put it there): the cycle is not "fully automatic"
    if (r === undefined || r === 'rejected') return false;
  }
  return true;
}
