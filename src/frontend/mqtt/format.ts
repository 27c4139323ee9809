// The MQTT content format for core Messages. props[0] holds the publish QoS (bit 0, 0 or 1; 3 = "not an
// MQTT publish: use the subscription's QoS"), DUP (bit 2) and RETAIN (bit 3, for MQTT 5 subscriptions
// with Retain As Published); MQTT 5 publish properties, when present,
// follow as JSON. Plain MQTT 3.1.1 publishes therefore share two constant one-byte buffers and are never
// parsed. Conversion to AMQP follows RabbitMQ: delivery_mode 2 for QoS 1, headers x-mqtt-publish-qos and
// x-mqtt-dup (3.10's rabbit_mqtt_processor), and for MQTT 5 (3.13's mc_mqtt) content-type, correlation
// data as correlation_id (else header x-correlation-id), the response topic as header x-reply-to-topic (a
// routing key: an AMQP responder publishes its reply to amq.topic with it; AMQP reply_to is not mapped),
// user properties as headers, expiry as expiration.
import type { CommonProperties, ContentFormat, DeathEvent, HeaderTable } from '../../core/message.js';
import { registerFormat } from '../../core/formats.js';
import { routingKeyToTopic, topicToRoutingKey } from './topics.js';

export const QOS_UNSPECIFIED = 3;
const DUP_BIT = 4;
const RETAIN_BIT = 8;

export interface Mqtt5Properties {
  payloadFormatIndicator?: boolean;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  /** base64 in the stored JSON */
  correlationData?: string;
  userProperties?: Record<string, string | string[]>;
}

const PLAIN: Buffer[] = [Buffer.from([0]), Buffer.from([1])];

export function encodeMqttProps(qos: number, dup: boolean, p: Mqtt5Properties | null, retain = false): Buffer {
  if (p === null && !dup && !retain && qos < 2) return PLAIN[qos]!;
  const head = qos | (dup ? DUP_BIT : 0) | (retain ? RETAIN_BIT : 0);
  if (p === null) return Buffer.from([head]);
  const json = Buffer.from(JSON.stringify(p));
  const b = Buffer.allocUnsafe(1 + json.length);
  b[0] = head;
  json.copy(b, 1);
  return b;
}

export function propsQos(props: Buffer): number {
  return props.length === 0 ? QOS_UNSPECIFIED : props[0]! & 3;
}

export function propsDup(props: Buffer): boolean {
  return props.length !== 0 && (props[0]! & DUP_BIT) !== 0;
}

/** Was the message published with the RETAIN flag? */
export function propsRetain(props: Buffer): boolean {
  return props.length !== 0 && (props[0]! & RETAIN_BIT) !== 0;
}

export function propsV5(props: Buffer): Mqtt5Properties | null {
  if (props.length <= 1) return null;
  return JSON.parse(props.toString('utf8', 1)) as Mqtt5Properties;
}

export const mqttFormat: ContentFormat = {
  name: 'mqtt',
  decodeHeaders(props: Buffer): HeaderTable | null {
    return mqttFormat.toCommon(props).headers ?? null;
  },
  toCommon(props: Buffer): CommonProperties {
    const qos = propsQos(props);
    const c: CommonProperties = {};
    const h: HeaderTable = {};
    const v5 = propsV5(props);
    if (v5?.userProperties) {
      for (const [k, v] of Object.entries(v5.userProperties)) h[k] = Array.isArray(v) ? v.join(',') : v;
    }
    if (qos !== QOS_UNSPECIFIED) {
      c.deliveryMode = qos === 0 ? 1 : 2;
      h['x-mqtt-publish-qos'] = qos;
      h['x-mqtt-dup'] = propsDup(props);
    }
    c.headers = h;
    if (v5) {
      if (v5.contentType !== undefined) c.contentType = v5.contentType;
      if (v5.correlationData !== undefined) {
        const cd = Buffer.from(v5.correlationData, 'base64');
        const s = cd.toString('utf8');
        // mc_mqtt: correlation data that is not a short UTF-8 string goes to the x-correlation-id header
        if (cd.length <= 255 && Buffer.from(s).equals(cd)) c.correlationId = s;
        else h['x-correlation-id'] = cd;
      }
      if (v5.responseTopic !== undefined) h['x-reply-to-topic'] = topicToRoutingKey(v5.responseTopic);
      if (v5.messageExpiryInterval !== undefined) c.expiration = String(v5.messageExpiryInterval * 1000);
    }
    return c;
  },
  fromCommon(c: CommonProperties): Buffer {
    const h = c.headers ?? {};
    const q = h['x-mqtt-publish-qos'];
    const qos = typeof q === 'number' && (q === 0 || q === 1 || q === 2) ? q : QOS_UNSPECIFIED;
    const dup = h['x-mqtt-dup'] === true;
    const v5: Mqtt5Properties = {};
    let any = false;
    const user: Record<string, string> = {};
    let anyUser = false;
    for (const [k, v] of Object.entries(h)) {
      if (k.startsWith('x-mqtt-') || k === 'x-correlation-id' || k === 'x-reply-to-topic') continue;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        user[k] = String(v);
        anyUser = true;
      }
    }
    if (anyUser) {
      v5.userProperties = user;
      any = true;
    }
    if (c.contentType !== undefined) {
      v5.contentType = c.contentType;
      any = true;
    }
    if (c.correlationId !== undefined) {
      v5.correlationData = Buffer.from(c.correlationId).toString('base64');
      any = true;
    } else if (Buffer.isBuffer(h['x-correlation-id'])) {
      v5.correlationData = h['x-correlation-id'].toString('base64');
      any = true;
    }
    const replyTopic = h['x-reply-to-topic'];
    if (typeof replyTopic === 'string') {
      v5.responseTopic = routingKeyToTopic(replyTopic);
      any = true;
    }
    if (c.expiration !== undefined && /^\d+$/.test(c.expiration)) {
      v5.messageExpiryInterval = Math.ceil(Number(c.expiration) / 1000);
      any = true;
    }
    return encodeMqttProps(qos, dup, any ? v5 : null);
  },
  // Dead-lettering an MQTT-published message: the expiry goes (as the AMQP expiration does) and the
  // reason is recorded as user properties (MQTT has no typed headers for an x-death table).
  deadLettered(props: Buffer, death: DeathEvent): Buffer {
    const v5 = propsV5(props) ?? {};
    delete v5.messageExpiryInterval;
    const user = { ...(v5.userProperties ?? {}) };
    user['x-first-death-reason'] ??= death.reason;
    user['x-first-death-queue'] ??= death.queue;
    user['x-first-death-exchange'] ??= death.exchange;
    user['x-last-death-reason'] = death.reason;
    user['x-last-death-queue'] = death.queue;
    user['x-last-death-exchange'] = death.exchange;
    v5.userProperties = user;
    return encodeMqttProps(propsQos(props), propsDup(props), v5, propsRetain(props));
  },
  withIntHeader(props: Buffer, key: string, value: number): Buffer {
    const v5 = propsV5(props) ?? {};
    v5.userProperties = { ...(v5.userProperties ?? {}), [key]: String(value) };
    return encodeMqttProps(propsQos(props), propsDup(props), v5, propsRetain(props));
  },
  messageId(props: Buffer): string | null {
    return mqttFormat.toCommon(props).messageId ?? null;
  },
};

registerFormat(mqttFormat);
