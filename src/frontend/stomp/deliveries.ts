// A subscription's delivery as a MESSAGE frame: RabbitMQ's message-id (T_<subscription>@@<session>@@<n>),
// the destination it was published to, the 1.2 ack header, the message's carried headers.
import type { QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import { roughNow } from '../../util/rough-clock.js';
import { destinationOf } from './destination.js';
import { decodeStompProps, stompFormat, type StompHeaders } from './format.js';
import { Unacked, type StompSession } from './session.js';
import type { StompSubscription } from './subscription.js';

/** Headers a MESSAGE sets itself, which a message's carried headers must not repeat. */
const RESERVED_OUT = new Set(['subscription', 'destination', 'message-id', 'redelivered', 'ack']);

// Hot path, inside the publisher's call stack (the caller, StompConnection.deliver, keeps a failure here to
// this connection).
export function writeDelivery(s: StompSession, sub: StompSubscription, entry: QueuedMessage, queue: Queue): void {
  const msg = entry.msg;
  const tag = ++s.nextTag;
  const st = s.channelStats;
  if (sub.noAck) st.deliverNoAck++;
  else st.deliver++;
  if (entry.redelivered) st.redeliver++;
  // rabbit_stomp: T_<subscription>@@<session>@@<n>, or Q_<destination>@@… for a 1.0 SUBSCRIBE without id
  const messageId = `${sub.key}@@${s.session}@@${tag}`;
  const destination = sub.id.startsWith('/temp-queue/') ? sub.id : destinationOf(msg.exchange, msg.routingKey);
  const h: StompHeaders = [];
  if (sub.explicitId) h.push(['subscription', sub.id]);
  h.push(['destination', destination], ['message-id', messageId], ['redelivered', String(entry.redelivered)]);
  if (s.version === '1.2' && !sub.noAck) h.push(['ack', messageId]);
  for (const kv of decodeStompProps(msg.propsIn(stompFormat))) {
    const [k, v] = kv;
    if (k === 'content-length' || RESERVED_OUT.has(k)) continue;
    // RabbitMQ goes through AMQP properties: delivery_mode 1 is no header, a reply_to that is no
    // destination (a /temp-queue/'s queue) a /reply-queue/ (as stompFormat.fromCommon)
    if (k === 'persistent' && v !== 'true') continue;
    h.push(k === 'reply-to' && !v.startsWith('/') ? [k, '/reply-queue/' + v] : kv);
  }
  // rabbit_stomp_frame: no content-length for an empty body
  if (msg.bodySize !== 0) h.push(['content-length', String(msg.bodySize)]);
  s.send('MESSAGE', h, msg.body);
  if (!sub.noAck) {
    s.unacked.set(tag, new Unacked(tag, entry, queue, sub, roughNow()));
    sub.unacked++;
  }
}
