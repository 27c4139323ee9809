// SUBSCRIBE (§SUBSCRIBE): the subscription id (a 1.0 SUBSCRIBE may go without: the destination is its id),
// ack mode and prefetch-count; the destination's queue (a /topic/ or /exchange/ one gets its own queue,
// durable and found again by (destination, id) for a durable subscription, bound with queue.bind's
// checks); then the consumer, after the RECEIPT.
import { createHash, randomBytes } from 'node:crypto';
import type { Queue } from '../../../core/queue/queue.js';
import { parseDestination } from '../destination.js';
import { StompError, type StompFrame } from '../frame.js';
import { queueArgs, type StompSession } from '../session.js';
import { requireIdIfDurable, StompSubscription, subscriptionKey, type AckMode } from '../subscription.js';

export function handleSubscribe(s: StompSession, f: StompFrame): void {
  const dest = f.get('destination');
  if (dest === undefined) {
    throw new StompError('Missing destination', `"SUBSCRIBE" must include a 'destination' header\n`, false);
  }
  requireIdIfDurable(f);
  // RabbitMQ takes a SUBSCRIBE without id in every version (the spec asks for one from 1.1): the
  // destination is then the id, the consumer tag is Q_<destination> and MESSAGEs carry no subscription
  let id = f.get('id');
  const explicitId = id !== undefined;
  id ??= dest;
  const tag = subscriptionKey(explicitId, id);
  if (s.subs.has(tag)) {
    // RabbitMQ names the consumer tag (T_<id> or Q_<destination>) and closes the connection
    throw new StompError(
      'Duplicated subscription identifier',
      `A subscription identified by '${tag}' already exists.`,
      true,
    );
  }
  const ackHeader = f.get('ack') ?? 'auto';
  if (ackHeader !== 'auto' && ackHeader !== 'client' && ackHeader !== 'client-individual') {
    // RabbitMQ 3.10 crashes on the header (function_clause) and answers with its catch-all, the connection open
    throw new StompError('Processing error', 'Processing error', false);
  }
  const pc = f.get('prefetch-count');
  const prefetch = pc !== undefined && /^\d+$/.test(pc) ? Number(pc) : 0;
  const d = parseDestination(dest);
  const v = s.v!;
  let q: Queue;
  let durableTopic = false;
  switch (d.kind) {
    case 'queue':
      // declared by this connection before and deleted since: RabbitMQ's basic.consume finds no queue
      q = s.declareQueue(d.name, f) ?? v.getQueueFor(d.name, s);
      break;
    case 'amqqueue':
    case 'reply':
      // RabbitMQ consumes from /reply-queue/<name> as from an existing queue <name>
      q = v.getQueueFor(d.name, s);
      break;
    case 'topic':
    case 'exchange': {
      const exchange = d.kind === 'topic' ? 'amq.topic' : d.exchange;
      const key = d.kind === 'topic' ? d.key : d.key === '' ? '' : d.key;
      v.getExchange(exchange);
      durableTopic = f.get('durable') === 'true' || f.get('persistent') === 'true';
      const named = f.get('x-queue-name');
      let name: string;
      if (named !== undefined) name = named;
      else if (durableTopic) {
        // a durable subscription finds its queue again from (destination, id); RabbitMQ hashes the
        // Erlang term of the pair, Warren the text, so the names differ but are as stable
        name = 'stomp-subscription-' + createHash('md5').update(`${dest}\u0000${id}`).digest('base64url');
      } else name = 'stomp-subscription-' + randomBytes(16).toString('base64url');
      if (!v.queues.has(name)) s.access!.check('queue', name, 'configure');
      q = v.declareQueue(
        name,
        {
          durable: durableTopic,
          exclusive: false,
          autoDelete: durableTopic ? f.get('auto-delete') === 'true' : true,
          args: queueArgs(f),
        },
        s,
      );
      // queue.bind's checks: write on the queue, read on the exchange, topic read permission
      s.access!.check('queue', q.name, 'write');
      s.access!.check('exchange', exchange, 'read');
      if (v.exchanges.get(exchange)?.type === 'topic') s.access!.checkTopic(exchange, key, 'read', s.topicVars!);
      v.bindQueue(q.name, exchange, key, {}, s);
      break;
    }
    case 'temp':
      throw new StompError('Invalid destination', `'${dest}' is not a valid destination for 'SUBSCRIBE'\n`, false);
  }
  s.access!.check('queue', q.name, 'read'); // basic.consume
  const sub = new StompSubscription(
    `stomp-${id}`,
    s,
    id,
    dest,
    q,
    ackHeader as AckMode,
    prefetch,
    durableTopic,
    explicitId,
  );
  s.subs.set(sub.key, sub);
  // the RECEIPT (if asked) goes before the first MESSAGE: deliveries start after this frame's handling
  s.receipt(f);
  q.addConsumer(sub);
}
