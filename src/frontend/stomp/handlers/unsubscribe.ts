// UNSUBSCRIBE (§UNSUBSCRIBE): the subscription's consumer leaves its queue; unsubscribing a durable topic
// subscription with durable:true (or persistent:true) deletes its queue, as RabbitMQ does.
import { StompError, type StompFrame } from '../frame.js';
import type { StompSession } from '../session.js';

export function handleUnsubscribe(s: StompSession, f: StompFrame): void {
  const id = f.get('id') ?? (s.version === '1.0' ? f.get('destination') : undefined);
  if (id === undefined) throw new StompError('Missing identifier', 'UNSUBSCRIBE must include an id header', false);
  const sub = s.subs.get(id);
  if (sub === undefined) {
    throw new StompError('Bad UNSUBSCRIBE', `Subscription not found: ${id}`, false);
  }
  s.subs.delete(id);
  sub.queue.removeConsumer(sub);
  if (sub.durableTopic && (f.get('durable') === 'true' || f.get('persistent') === 'true')) {
    s.v!.deleteQueue(sub.queue.name, false, false, s);
  }
}
