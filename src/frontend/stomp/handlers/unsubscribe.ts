// UNSUBSCRIBE (§UNSUBSCRIBE): the subscription's consumer leaves its queue; unsubscribing a durable topic
// subscription with durable:true (or persistent:true) deletes its queue, as RabbitMQ does.
// As rabbit_stomp_util:consumer_tag, in every version: the id header names T_<id>, else the destination
// names Q_<destination> (a SUBSCRIBE that had no id); RabbitMQ's ERROR texts when neither or no match.
import { StompError, type StompFrame } from '../frame.js';
import type { StompSession } from '../session.js';
import { requireIdIfDurable, subscriptionKey } from '../subscription.js';

export function handleUnsubscribe(s: StompSession, f: StompFrame): void {
  requireIdIfDurable(f);
  const id = f.get('id');
  const dest = id === undefined ? f.get('destination') : undefined;
  if (id === undefined && dest === undefined) {
    throw new StompError('Missing destination or id', "UNSUBSCRIBE must include a 'destination' or 'id' header", false);
  }
  const key = id !== undefined ? subscriptionKey(true, id) : subscriptionKey(false, dest!);
  const sub = s.subs.get(key);
  if (sub === undefined) {
    // Erlang's ~p of the description string: double-quoted, \ and " escaped
    const description = id !== undefined ? `id='${id}'` : `destination='${dest}'`;
    const quoted = '"' + description.replace(/[\\"]/g, '\\$&') + '"';
    throw new StompError(
      'No subscription found',
      `UNSUBSCRIBE must refer to an existing subscription.\nSubscription to ${quoted} not found.\n`,
      false,
    );
  }
  s.subs.delete(key);
  sub.queue.removeConsumer(sub);
  if (sub.durableTopic && (f.get('durable') === 'true' || f.get('persistent') === 'true')) {
    s.v!.deleteQueue(sub.queue.name, false, false, s);
  }
}
