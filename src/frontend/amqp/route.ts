// Routing one published message (rabbit_channel basic.publish, after the message is assembled): through its
// exchange to every queue it reaches, or back to the publisher (basic.return 312 NO_ROUTE for a mandatory
// one, 313 NO_CONSUMERS for an immediate one), with the message_stats RabbitMQ keeps, direct reply-to and
// per-queue flow control (an overloaded queue stops the publisher's reading).
import { writeBody, writeContentHeader } from '../../codec/amqp/content.js';
import { writeBasicReturn } from '../../codec/amqp/methods.generated.js';
import type { Message } from '../../core/message.js';
import type { ChannelContext } from './context.js';
import { REPLY_TO_PREFIX } from './direct-reply-to.js';
import { channelError } from './errors.js';
import { amqpFormat } from './format.js';

/**
 * Hot path: route one message and enqueue it in every queue it reaches. Returns true if a queue refused it
 * (x-overflow reject-publish: a publisher in confirm mode gets a basic.nack).
 */
export function routeMessage(ch: ChannelContext, msg: Message, mandatory: boolean, immediate: boolean): boolean {
  const v = ch.vhost;
  const rk = msg.routingKey;
  const st = ch.stats;
  if (msg.exchange === '' && rk.startsWith(REPLY_TO_PREFIX)) {
    st.publish++;
    v.stats.publish++;
    if (!ch.conn.server.replyTo.deliver(rk, msg) && mandatory) sendReturn(ch, 312, 'NO_ROUTE', msg);
    return false;
  }
  const x = v.exchanges.get(msg.exchange);
  if (x === undefined) throw channelError(404, `no exchange '${msg.exchange}' in vhost '${v.name}'`);
  if (x.internal) {
    throw channelError(403, `cannot publish to internal exchange '${msg.exchange}' in vhost '${v.name}'`);
  }
  // message_stats: publish on the channel and vhost, publish_in/publish_out on the exchange
  st.publish++;
  v.stats.publish++;
  x.stats.publishIn++;
  const queues = v.route(x, msg);
  const n = queues.length;
  x.stats.publishOut += n;
  if (n === 0) {
    // a duplicate dropped by x-message-deduplication is accepted, not returned
    if (v.duplicate) return false;
    if (mandatory) sendReturn(ch, 312, 'NO_ROUTE', msg);
    else {
      // rabbit_channel: unroutable and not mandatory is drop_unroutable
      st.dropUnroutable++;
      v.stats.dropUnroutable++;
      ch.conn.server.broker.stats.dropUnroutable++;
    }
    return false;
  }
  let refused = false;
  if (immediate) {
    // amqp0-9-1.xml basic.publish immediate: deliver only to queues with a consumer ready now; if none,
    // return 313 NO_CONSUMERS (RabbitMQ 3+ refuses the flag with 540 instead).
    const ready = queues.filter((q) => q.canDeliverNow(msg));
    if (ready.length === 0) {
      sendReturn(ch, 313, 'NO_CONSUMERS', msg);
      return false;
    }
    for (const q of ready) if (!q.enqueue(msg)) refused = true;
    return refused;
  }
  if (n === 1) {
    const q = queues[0]!;
    // its one queue is the only holder of the message: a no-ack delivery may hand its body back
    msg.soleCopy = true;
    if (!q.enqueue(msg)) refused = true;
    if (q.overloaded) ch.conn.flowBlock(q);
    return refused;
  }
  // enqueue may dead-letter, which routes again (the vhost's scratch array): copy
  const targets = queues.slice();
  for (let i = 0; i < targets.length; i++) {
    const q = targets[i]!;
    if (!q.enqueue(msg)) refused = true;
    if (q.overloaded) ch.conn.flowBlock(q);
  }
  return refused;
}

/** basic.return with the message (amqp0-9-1.xml basic.return: method, content header, body). */
function sendReturn(ch: ChannelContext, code: number, text: string, msg: Message): void {
  const conn = ch.conn;
  if (code === 312) {
    conn.server.broker.stats.returnUnroutable++;
    ch.vhost.stats.returnUnroutable++;
    ch.stats.returnUnroutable++;
  }
  const out = conn.out;
  writeBasicReturn(out, ch.id, code, text, msg.exchange, msg.routingKey);
  writeContentHeader(out, ch.id, 60, msg.bodySize, msg.propsIn(amqpFormat));
  writeBody(out, ch.id, msg.bodyParts, conn.frameMax);
  conn.output.scheduleFlush();
}
