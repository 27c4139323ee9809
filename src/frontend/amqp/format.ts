// The AMQP 0-9-1 content format for core Messages: props are the content header from the property flags
// on, decoded only when the core asks (headers exchange) or a consumer of another protocol receives it,
// rewritten only for dead-lettering (x-death) and quorum redeliveries (x-delivery-count).
import { decodeProperties, encodeProperties, BasicProperties } from '../../codec/amqp/properties.js';
import { Typed, type FieldTable } from '../../codec/amqp/field-table.js';
import { Writer } from '../../codec/buffer/writer.js';
import type { CommonProperties, ContentFormat, DeathEvent, HeaderTable } from '../../core/message.js';
import { registerFormat } from '../../core/formats.js';
import { deadLetterProps, withLongHeader } from './death-headers.js';

/**
 * Headers RabbitMQ's MQTT plugin writes with a field type JS cannot infer from the value
 * (rabbit_mqtt_processor: {<<"x-mqtt-publish-qos">>, byte, Qos}, {<<"x-mqtt-dup">>, bool, Dup}).
 */
const BYTE_HEADERS = new Set(['x-mqtt-publish-qos']);

let lastDeath: { props: Buffer; death: DeathEvent; out: Buffer } | null = null;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const amqpFormat: ContentFormat = {
  name: 'amqp-0-9-1',
  decodeHeaders(props: Buffer): HeaderTable | null {
    return decodeProperties(props, 0, props.length).headers;
  },
  toCommon(props: Buffer): CommonProperties {
    const p = decodeProperties(props, 0, props.length);
    const c: CommonProperties = {};
    if (p.contentType !== null) c.contentType = p.contentType;
    if (p.contentEncoding !== null) c.contentEncoding = p.contentEncoding;
    if (p.headers !== null) c.headers = p.headers;
    if (p.deliveryMode !== null) c.deliveryMode = p.deliveryMode;
    if (p.priority !== null) c.priority = p.priority;
    if (p.correlationId !== null) c.correlationId = p.correlationId;
    if (p.replyTo !== null) c.replyTo = p.replyTo;
    if (p.expiration !== null) c.expiration = p.expiration;
    if (p.messageId !== null) c.messageId = p.messageId;
    if (p.timestamp !== null) c.timestamp = p.timestamp;
    if (p.type !== null) c.type = p.type;
    if (p.userId !== null) c.userId = p.userId;
    if (p.appId !== null) c.appId = p.appId;
    return c;
  },
  fromCommon(c: CommonProperties): Buffer {
    const p = new BasicProperties();
    p.contentType = c.contentType ?? null;
    p.contentEncoding = c.contentEncoding ?? null;
    if (c.headers !== undefined) {
      const h: FieldTable = {};
      for (const [k, v] of Object.entries(c.headers)) {
        h[k] = BYTE_HEADERS.has(k) && typeof v === 'number' ? new Typed('b', v) : (v as FieldTable[string]);
      }
      p.headers = h;
    }
    p.deliveryMode = c.deliveryMode ?? null;
    p.priority = c.priority ?? null;
    p.correlationId = c.correlationId ?? null;
    p.replyTo = c.replyTo ?? null;
    p.expiration = c.expiration ?? null;
    p.messageId = c.messageId ?? null;
    p.timestamp = c.timestamp ?? null;
    p.type = c.type ?? null;
    p.userId = c.userId ?? null;
    p.appId = c.appId ?? null;
    const w = new Writer(256);
    encodeProperties(w, p);
    return Buffer.from(w.take()!);
  },
  deadLettered(props: Buffer, death: DeathEvent): Buffer {
    // a burst of expiries from one queue usually has the same properties and the same death (time has
    // a resolution of seconds): reuse the last result instead of rewriting the headers again
    const l = lastDeath;
    if (
      l !== null &&
      l.death.time === death.time &&
      l.death.queue === death.queue &&
      l.death.reason === death.reason &&
      l.death.exchange === death.exchange &&
      l.death.originalExpiration === death.originalExpiration &&
      sameKeys(l.death.routingKeys, death.routingKeys) &&
      l.props.equals(props)
    ) {
      return l.out;
    }
    const out = deadLetterProps(props, death);
    lastDeath = { props, death, out };
    return out;
  },
  withIntHeader(props: Buffer, key: string, value: number): Buffer {
    return withLongHeader(props, key, value);
  },
  messageId(props: Buffer): string | null {
    return decodeProperties(props, 0, props.length).messageId;
  },
};

registerFormat(amqpFormat);
