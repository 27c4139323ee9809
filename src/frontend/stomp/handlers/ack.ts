// ACK and NACK (§ACK, §NACK), as RabbitMQ 3.10's ack_action: the message is named by the MESSAGE's ack
// header (1.2) or its message-id (1.0, 1.1), <consumer tag>@@<session>@@<delivery tag>; the consumer tag
// must name a subscription of the session. Then basic.ack / basic.nack on the STOMP connection's one
// channel: in ack mode `client` with multiple=true, which settles every earlier delivery of the connection,
// whatever its subscription. NACK requeues unless requeue:false (then the message is discarded:
// dead-lettered if its queue has a DLX). RabbitMQ takes NACK in 1.0 too.
import { BrokerError } from '../../../core/errors.js';
import type { QueuedMessage } from '../../../core/message.js';
import type { Queue } from '../../../core/queue/queue.js';
import { StompError, type StompFrame } from '../frame.js';
import type { StompSession, Unacked } from '../session.js';
import type { AckTarget, StompSubscription } from '../subscription.js';

/**
 * The checks RabbitMQ makes when the ACK or NACK arrives, in a transaction too (a bad one is refused at
 * once, not at COMMIT), with its ERROR texts; none closes the connection.
 */
export function ackTarget(s: StompSession, f: StompFrame): AckTarget {
  // 1.2: id (the MESSAGE's ack header); 1.0/1.1: message-id
  const idHeader = s.version === '1.2' ? 'id' : 'message-id';
  const mid = f.get(idHeader);
  if (mid === undefined) {
    throw new StompError('Missing header', `"${f.command}" must include the "${idHeader}" header\n`, false);
  }
  const parts = mid.split('@@');
  if (parts.length !== 3 || !/^\d+$/.test(parts[2]!)) {
    throw new StompError('Invalid header', `"${f.command}" must include a valid "${idHeader}" header\n`, false);
  }
  const sub = s.subs.get(parts[0]!);
  if (sub === undefined) {
    throw new StompError('Subscription not found', `Message with id "${mid}" has no subscription`, false);
  }
  return { tag: Number(parts[2]), sub };
}

/**
 * Settles what `t` names. A delivery tag that is not outstanding (settled already, or from an auto-ack
 * subscription) is the channel's 406, which RabbitMQ reports after the frame's RECEIPT: returned for the
 * caller to throw once the RECEIPT is out.
 */
export function settle(s: StompSession, f: StompFrame, t: AckTarget, ack: boolean): BrokerError | null {
  const d = s.unacked.get(t.tag);
  if (d === undefined) return new BrokerError('PRECONDITION_FAILED', `unknown delivery tag ${t.tag}`);
  const requeue = f.get('requeue') !== 'false';
  const settled: Unacked[] = [];
  if (t.sub.ack === 'client') {
    // multiple=true: this delivery and every earlier one on the connection (the channel's tags)
    for (const u of s.unacked.values()) {
      if (u.tag > t.tag) break;
      settled.push(u);
    }
  } else settled.push(d);
  const back = new Map<Queue, QueuedMessage[]>();
  const subs = new Set<StompSubscription>();
  for (const u of settled) {
    s.unacked.delete(u.tag);
    u.sub.unacked--;
    subs.add(u.sub);
    if (ack) {
      u.queue.ack(u.entry);
      s.channelStats.ack++;
    } else if (requeue) {
      let l = back.get(u.queue);
      if (!l) back.set(u.queue, (l = []));
      l.push(u.entry);
    } else u.queue.discard(u.entry);
  }
  for (const [q, entries] of back) q.requeue(entries);
  for (const sub of subs) {
    if (sub.starved) {
      sub.starved = false;
      sub.queue.dispatch();
    }
  }
  return null;
}
