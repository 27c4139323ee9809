// SEND (§SEND): the destination names an exchange and routing key (declaring a /queue/ or creating a
// /temp-queue/ as RabbitMQ does); basic.publish's permission checks; headers become the message's carried
// properties (reply-to, persistent, priority, expiration, a user-id that must be the login's); routing. A
// SEND a queue refused (x-overflow reject-publish) gets no RECEIPT: RabbitMQ 3.13's STOMP adapter sends
// nothing for a rejected publish ("no nacks in STOMP"; 3.10 closed the connection).
import { BrokerError } from '../../../core/errors.js';
import { Message } from '../../../core/message.js';
import { roughNow } from '../../../util/rough-clock.js';
import { parseDestination, type SendTarget } from '../destination.js';
import { encodeStompProps, FRAME_ONLY, stompFormat, type StompHeaders } from '../format.js';
import { StompError, type StompFrame } from '../frame.js';
import type { StompSession } from '../session.js';

/** Returns false when a queue refused the message (its RECEIPT is not sent). */
export function handleSend(s: StompSession, f: StompFrame): boolean {
  s.blockIfAlarmed();
  return publish(s, f, sendTarget(s, f));
}

/**
 * What RabbitMQ's SEND does when the frame arrives, inside a transaction too (rabbit_stomp_processor
 * do_send runs before the frame is held): the header checks, the destination, the /queue/ declare or
 * /temp-queue/ creation. A bad SEND in a transaction is refused at once, not at COMMIT.
 */
export function sendTarget(s: StompSession, f: StompFrame): SendTarget {
  const dest = f.get('destination');
  if (dest === undefined)
    throw new StompError('Missing destination', `"SEND" must include a 'destination' header\n`, false);
  if (f.get('message-id') !== undefined) {
    throw new StompError('Invalid header', "'message-id' is not allowed on 'SEND'.\n", false);
  }
  const d = parseDestination(dest);
  switch (d.kind) {
    case 'queue':
      s.declareQueue(d.name, f);
      return { exchange: '', key: d.name };
    case 'amqqueue':
    case 'reply':
      return { exchange: '', key: d.name };
    case 'topic':
      return { exchange: 'amq.topic', key: d.key };
    case 'exchange':
      return { exchange: d.exchange, key: d.key };
    case 'temp':
      // RabbitMQ takes /temp-queue/ in reply-to only
      throw new StompError('Invalid destination', `'${dest}' is not a valid destination for 'SEND'\n`, false);
  }
}

/** basic.publish: run at once, or at COMMIT for a held SEND (its permission and exchange checks too). */
export function publish(s: StompSession, f: StompFrame, t: SendTarget): boolean {
  const v = s.v!;
  const { exchange, key } = t;
  // basic.publish's checks: write on the exchange (the default one as amq.default), topic permission
  s.access!.checkPublish(exchange);
  const x = v.getExchange(exchange);
  if (x.type === 'topic') s.access!.checkTopic(exchange, key, 'write', s.topicVars!);
  if (x.internal)
    throw new BrokerError('ACCESS_REFUSED', `cannot publish to internal exchange '${exchange}' in vhost '${v.name}'`);
  const carried: StompHeaders = [];
  let persistent = false;
  let priority = 0;
  let expiration: string | null = null;
  for (const [k, val] of f.headers) {
    if (FRAME_ONLY.has(k)) continue;
    let value = val;
    if (k === 'reply-to') value = s.replyTo(val);
    else if (k === 'persistent') persistent = val === 'true';
    else if (k === 'priority' && /^\d+$/.test(val)) priority = Number(val);
    else if (k === 'expiration') expiration = val;
    else if (k === 'user-id' && val !== s.user) {
      throw new BrokerError(
        'PRECONDITION_FAILED',
        `user_id property set to '${val}' but authenticated user was '${s.user}'`,
      );
    }
    carried.push([k, value]);
  }
  const msg = new Message(
    stompFormat,
    exchange,
    key,
    encodeStompProps(carried),
    f.body,
    persistent,
    priority,
    expiration,
    roughNow(),
    s.id,
  );
  const st = s.channelStats;
  st.publish++;
  v.stats.publish++;
  x.stats.publishIn++;
  const queues = v.route(x, msg);
  x.stats.publishOut += queues.length;
  if (queues.length === 0 && !v.duplicate) {
    st.dropUnroutable++;
    v.stats.dropUnroutable++;
    s.server.broker.stats.dropUnroutable++;
  }
  let taken = true;
  for (let i = 0; i < queues.length; i++) {
    const q = queues[i]!;
    if (!q.enqueue(msg)) taken = false;
    if (q.overloaded) s.flowBlock(q);
  }
  return taken;
}
