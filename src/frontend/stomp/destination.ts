// STOMP destinations as RabbitMQ's STOMP plugin has them (https://www.rabbitmq.com/docs/stomp#d):
// /queue/<name>, /amq/queue/<name>, /topic/<key>, /exchange/<name>[/<key>], /temp-queue/<name>,
// /reply-queue/<name>. Names are taken literally; /exchange/ splits at the first '/' after the name.
import { StompError } from './frame.js';

export type Destination =
  | { kind: 'queue'; name: string }
  | { kind: 'amqqueue'; name: string }
  | { kind: 'topic'; key: string }
  | { kind: 'exchange'; exchange: string; key: string }
  | { kind: 'temp'; name: string }
  | { kind: 'reply'; name: string };

/** Where a SEND goes: the exchange and routing key its destination names. */
export interface SendTarget {
  exchange: string;
  key: string;
}

export function parseDestination(d: string): Destination {
  const after = (p: string) => (d.startsWith(p) && d.length > p.length ? d.slice(p.length) : null);
  let s: string | null;
  if ((s = after('/queue/')) !== null) return { kind: 'queue', name: s };
  if ((s = after('/amq/queue/')) !== null) return { kind: 'amqqueue', name: s };
  if ((s = after('/topic/')) !== null) return { kind: 'topic', key: s };
  if ((s = after('/temp-queue/')) !== null) return { kind: 'temp', name: s };
  if ((s = after('/reply-queue/')) !== null) return { kind: 'reply', name: s };
  if ((s = after('/exchange/')) !== null) {
    const slash = s.indexOf('/');
    return slash < 0
      ? { kind: 'exchange', exchange: s, key: '' }
      : { kind: 'exchange', exchange: s.slice(0, slash), key: s.slice(slash + 1) };
  }
  throw new StompError(
    'Unknown destination',
    `'${d}' is not a valid destination.\nValid destination types are: /temp-queue, /exchange, /topic, /queue, /amq/queue, /reply-queue/.\n`,
    false,
  );
}

/** The destination header of a MESSAGE for a message routed with (exchange, routing key). */
export function destinationOf(exchange: string, key: string): string {
  if (exchange === '') return '/queue/' + key;
  if (exchange === 'amq.topic') return '/topic/' + key;
  return key === '' ? '/exchange/' + exchange : `/exchange/${exchange}/${key}`;
}
