// Dead-lettering (https://www.rabbitmq.com/docs/dlx, rabbit_dead_letter.erl): a message rejected without
// requeue, expired, dropped by a length limit or over its delivery limit is republished to the queue's
// dead-letter exchange, with the dead-letter routing key if set (else its own routing key), its death
// recorded in its headers by its protocol's format (AMQP: x-death), and its expiration removed. A missing
// DLX drops the message, as in RabbitMQ. Cycles are cut as RabbitMQ cuts them: a message reaching a queue
// it already died in is dropped unless some death in that cycle was a rejection (a client's decision).
import { roughNow } from '../../util/rough-clock.js';
import { Message, type DeathEvent } from '../message.js';
import type { Exchange } from '../exchange/exchange.js';
import type { Queue } from './queue.js';

export type DeathReason = DeathEvent['reason'];

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
  const dm = deadLetterCopy(m, q, reason, name);
  // route() hands back the vhost's scratch array; enqueueing may dead-letter again (a full DLQ), so copy
  const targets = v.route(x, dm).slice();
  let n = 0;
  for (const t of targets) {
    if (reason !== 'rejected' && isCycle(dm, t.name)) continue;
    if (t.enqueue(dm)) n++;
  }
  return n;
}

/**
 * rabbit_dead_letter:is_cycle/2: walk the deaths (most recent first) up to the first one in `queue`; a
 * cycle exists if there is one, and it is "fully automatic" (dropped) when none of those deaths, that
 * one included, was a rejection.
 */
export function isCycle(dm: Message, queue: string): boolean {
  const deaths = dm.headers()?.['x-death'];
  if (!Array.isArray(deaths)) return false;
  let i = 0;
  for (; i < deaths.length; i++) {
    const d = deaths[i] as Record<string, unknown> | null;
    if (d !== null && typeof d === 'object' && d['queue'] === queue) break;
  }
  if (i === deaths.length) return false;
  for (let k = 0; k <= i; k++) {
    const d = deaths[k] as Record<string, unknown> | null;
    if (d === null || typeof d !== 'object' || d['reason'] === 'rejected') return false;
  }
  return true;
}
