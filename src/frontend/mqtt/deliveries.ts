// Messages to an MQTT client: a subscription queue's delivery as a PUBLISH (QoS downgraded to the
// subscription's, expiry counted down, MQTT 5 subscription identifiers, Retain As Published, topic aliases,
// the client's Maximum Packet Size), and the retained messages a new subscription receives.
import mqttPacket from 'mqtt-packet';
import type { QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import { roughNow } from '../../util/rough-clock.js';
import type { MqttConsumer } from './consumer.js';
import { mqttFormat, propsQos, propsRetain, propsV5, QOS_UNSPECIFIED, type Mqtt5Properties } from './format.js';
import { deliveryProps } from './properties.js';
import type { RetainedMatches } from './retained-tree.js';
import type { RetainedMessage } from './retained.js';
import { InFlight, type MqttSession } from './session.js';
import { SHARED_PREFIX } from './shared.js';
import { dollarTopicMatched, type Subscription } from './subscriptions.js';
import { hasWildcard, routingKeyToTopic } from './topics.js';

type QoS = mqttPacket.QoS;

// Hot path: one delivery from a subscription queue, inside the publisher's call stack (the caller,
// MqttConnection.deliver, keeps a failure here to this connection).
// `resendId`: a resumed session's QoS 2 delivery that was never PUBRECed, sent again with its packet id
// and DUP ([MQTT-4.4.0-1]; session.ts resendParked).
export function writeDelivery(s: MqttSession, c: MqttConsumer, entry: QueuedMessage, queue: Queue, resendId = 0): void {
  const msg = entry.msg;
  if (msg.routingKey.charCodeAt(0) === 0x24 /* $ */ && msg.exchange === s.server.options.mqttExchange) {
    const shared = c.queue.name.startsWith(SHARED_PREFIX) ? c.queue.name : null;
    if (!dollarTopicMatched(s.subs.values(), c.qos, shared, msg.routingKey)) {
      // routed only through filters starting with a wildcard ([MQTT-4.7.2-1]): settled, not sent
      if (c.qos !== 0) queue.ack(entry);
      return;
    }
  }
  const st = s.channelStats;
  if (c.noAck) st.deliverNoAck++;
  else st.deliver++;
  if (entry.redelivered) st.redeliver++;
  const props = msg.propsIn(mqttFormat);
  // MQTT 5 message expiry (and AMQP expiration): an expired message is dropped, not delivered
  let remaining = -1;
  if (msg.expiration !== null) {
    const ttl = Number(msg.expiration);
    const left = msg.timestamp + ttl - roughNow();
    if (left <= 0) {
      if (c.qos !== 0) queue.ack(entry);
      return;
    }
    remaining = Math.ceil(left / 1000);
  }
  const mq = propsQos(props);
  const qos: QoS = mq === QOS_UNSPECIFIED ? c.qos : (Math.min(mq, c.qos) as QoS);
  const packet: mqttPacket.IPublishPacket = {
    cmd: 'publish',
    topic: routingKeyToTopic(msg.routingKey),
    payload: msg.body,
    qos,
    dup: qos !== 0 && (entry.redelivered || resendId !== 0),
    retain: false,
  };
  let newAlias = 0;
  if (s.version === 5) {
    const p = deliveryProps(propsV5(props), remaining);
    if (p !== undefined) packet.properties = p;
    // subscription identifiers and Retain As Published: only for sessions that use them
    if (s.subs.special !== null && msg.exchange === s.server.options.mqttExchange) {
      const shared = c.queue.name.startsWith(SHARED_PREFIX) ? c.queue.name : null;
      const m = s.subs.matchDelivery(c.qos, shared, msg.routingKey, msg.publisherId === s.id);
      if (m !== null) {
        if (m.ids.length > 0)
          (packet.properties ??= {}).subscriptionIdentifier = m.ids.length === 1 ? m.ids[0]! : m.ids;
        if (m.retainAsPublished && propsRetain(props)) packet.retain = true;
      }
    }
    if (s.outAliases !== null) newAlias = s.outAliases.apply(packet);
  }
  // §3.1.2.11.4: a message too large for the client is discarded as if delivered (the estimate is an
  // upper bound of the fixed header, topic, packet id and properties); RabbitMQ settles it as `discard`
  // (dead-lettered, reason rejected, if the queue has a dead-letter exchange)
  if (s.maxPacketSize !== 0 && msg.bodySize + Buffer.byteLength(packet.topic) + 1024 > s.maxPacketSize) {
    if (mqttPacket.generate({ ...packet, messageId: 1 }, { protocolVersion: 5 }).length > s.maxPacketSize) {
      if (newAlias !== 0) s.outAliases!.forget(routingKeyToTopic(msg.routingKey));
      if (c.qos !== 0) queue.discard(entry);
      return;
    }
  }
  if (qos !== 0) {
    // QoS 1 until PUBACK; QoS 2 until PUBREC (then the message is settled and PUBREL/PUBCOMP follow)
    const id = resendId !== 0 ? resendId : s.allocatePacketId();
    packet.messageId = id;
    s.send(packet);
    s.inFlight.set(id, new InFlight(entry, queue, c, roughNow(), qos));
    c.unacked++;
  } else {
    s.send(packet);
    // delivered at QoS 0 from an acked queue: settled now
    if (c.qos !== 0) queue.ack(entry);
  }
}

/** Topic-tree nodes visited, and retained messages sent, per turn for one wildcard subscription (then the next turn goes on). */
const RETAINED_VISITS = 2048;
const RETAINED_SENDS = 128;

/**
 * The retained messages for a new subscription (with its identifier, §3.3.4), RETAIN set: a filter without
 * wildcards is one lookup; a wildcard one walks the branches of the vhost's topic tree its filter can match
 * (retained-tree.ts), RETAINED_VISITS nodes a turn, and sends RETAINED_SENDS a turn, so that `#` over tens of
 * thousands of retained topics (the MQTT fuzz run's) does not hold every other connection for one long turn (in
 * one, each such subscription cost tens of ms), and waits for the output to drain when the client reads slower
 * than that.
 */
export function sendRetained(s: MqttSession, sub: Subscription): void {
  if (!hasWildcard(sub.filter)) {
    const r = s.server.retained.get(s.vhost, sub.filter);
    if (r !== undefined) sendRetainedIfLive(s, sub, r, Date.now());
    return;
  }
  new RetainedSender(s, sub).run();
}

class RetainedSender {
  private readonly matches: RetainedMatches<RetainedMessage>;

  constructor(
    private readonly s: MqttSession,
    private readonly sub: Subscription,
  ) {
    this.matches = s.server.retained.matching(s.vhost, sub.filter);
  }

  readonly run = (): void => {
    if (this.s.ended) return;
    // a client that does not read gets no more than its output holds (then the rest once it drains)
    if (!this.s.canWrite()) return this.s.whenWritable(this.run);
    const now = Date.now();
    const until = this.matches.visited + RETAINED_VISITS;
    for (let sends = 0; sends < RETAINED_SENDS;) {
      const r = this.matches.next(until);
      if (r === undefined) {
        if (this.matches.done) return;
        break;
      }
      if (sendRetainedIfLive(this.s, this.sub, r, now)) sends++;
    }
    setImmediate(this.run);
  };
}

/** Send one retained message unless it has expired (MQTT 5 message expiry); true when sent. */
function sendRetainedIfLive(s: MqttSession, sub: Subscription, r: RetainedMessage, now: number): boolean {
  let remaining = -1;
  const v5 = propsV5(r.props);
  if (v5?.messageExpiryInterval !== undefined) {
    const left = r.storedAt + v5.messageExpiryInterval * 1000 - now;
    if (left <= 0) return false;
    remaining = Math.ceil(left / 1000);
  }
  sendRetainedOne(s, r, Math.min(sub.opts.qos, r.qos) as QoS, v5, remaining, sub.opts.id);
  return true;
}

function sendRetainedOne(
  s: MqttSession,
  r: RetainedMessage,
  qos: QoS,
  v5: Mqtt5Properties | null,
  remaining: number,
  id: number,
): void {
  const packet: mqttPacket.IPublishPacket = {
    cmd: 'publish',
    topic: r.topic,
    payload: r.payload,
    qos,
    dup: false,
    retain: true,
  };
  if (s.version === 5) {
    const p = deliveryProps(v5, remaining);
    if (p !== undefined) packet.properties = p;
    if (id !== 0) (packet.properties ??= {}).subscriptionIdentifier = id;
    // a message too large for the client is not sent (§3.1.2.11.4), nor does it take an alias
    if (s.maxPacketSize !== 0 && r.payload.length + Buffer.byteLength(r.topic) + 1024 > s.maxPacketSize) {
      if (mqttPacket.generate({ ...packet, messageId: 1 }, { protocolVersion: 5 }).length > s.maxPacketSize) return;
    }
    s.outAliases?.apply(packet);
  }
  if (qos !== 0) {
    const pid = s.allocatePacketId();
    packet.messageId = pid;
    s.inFlight.set(pid, new InFlight(null, null, null, roughNow(), qos));
  }
  s.send(packet);
}
