// Messages published and fetched through the management API are AMQP 0-9-1 content, as in RabbitMQ (its
// management plugin is an AMQP client): the JSON "properties" map onto basic properties, encoded with the
// codec; fetched messages are decoded back into that JSON, with the payload as a string when it is valid
// UTF-8 ("auto") or base64.
import { BasicProperties, decodeProperties, encodeProperties } from '../codec/amqp/properties.js';
import { Writer } from '../codec/buffer/writer.js';
import { Message, type QueuedMessage } from '../core/message.js';
import { amqpFormat } from '../frontend/amqp/format.js';
import { roughNow } from '../util/rough-clock.js';
import { badRequest } from './context.js';

const FIELDS: [keyof BasicProperties, string][] = [
  ['contentType', 'content_type'],
  ['contentEncoding', 'content_encoding'],
  ['headers', 'headers'],
  ['deliveryMode', 'delivery_mode'],
  ['priority', 'priority'],
  ['correlationId', 'correlation_id'],
  ['replyTo', 'reply_to'],
  ['expiration', 'expiration'],
  ['messageId', 'message_id'],
  ['timestamp', 'timestamp'],
  ['type', 'type'],
  ['userId', 'user_id'],
  ['appId', 'app_id'],
  ['clusterId', 'cluster_id'],
];
const NUMERIC = new Set(['delivery_mode', 'priority', 'timestamp']);

export function makeMessage(exchange: string, routingKey: string, body: Record<string, unknown>): Message {
  const enc = body['payload_encoding'] ?? 'string';
  const payload = String(body['payload'] ?? '');
  let bytes: Buffer;
  if (enc === 'string') bytes = Buffer.from(payload, 'utf8');
  else if (enc === 'base64') bytes = Buffer.from(payload, 'base64');
  else throw badRequest(`payload_encoding must be string or base64`);
  const p = new BasicProperties();
  const j = (body['properties'] ?? {}) as Record<string, unknown>;
  if (typeof j !== 'object' || j === null) throw badRequest('properties must be an object');
  for (const [k, jk] of FIELDS) {
    const v = j[jk];
    if (v === undefined || v === null) continue;
    if (NUMERIC.has(jk)) {
      const n = Number(v);
      if (!Number.isInteger(n)) throw badRequest(`${jk} must be an integer`);
      (p as unknown as Record<string, unknown>)[k] = n;
    } else if (jk === 'headers') {
      if (typeof v !== 'object') throw badRequest('headers must be an object');
      p.headers = v as BasicProperties['headers'];
    } else {
      (p as unknown as Record<string, unknown>)[k] = String(v);
    }
  }
  const w = new Writer(256);
  encodeProperties(w, p);
  const props = Buffer.from(w.take() ?? Buffer.alloc(2));
  return new Message(
    amqpFormat,
    exchange,
    routingKey,
    props,
    bytes,
    p.deliveryMode === 2,
    p.priority ?? 0,
    p.expiration,
    roughNow(),
    0,
  );
}

export function propertiesJson(props: Buffer): Record<string, unknown> {
  const p = decodeProperties(props, 0, props.length);
  const out: Record<string, unknown> = {};
  for (const [k, jk] of FIELDS) {
    const v = p[k];
    if (v !== null && v !== undefined) out[jk] = v;
  }
  return out;
}

/** POST /api/queues/…/get item. */
export function readMessage(e: QueuedMessage, messageCount: number, encoding: string, truncate: number | null) {
  const body = truncate !== null && truncate >= 0 ? e.msg.body.subarray(0, truncate) : e.msg.body;
  const text = body.toString('utf8');
  const asString = encoding !== 'base64' && Buffer.from(text, 'utf8').equals(body);
  return {
    payload_bytes: e.msg.bodySize,
    redelivered: e.redelivered,
    exchange: e.msg.exchange,
    routing_key: e.msg.routingKey,
    message_count: messageCount,
    properties: e.msg.props.length >= 2 ? propertiesJson(e.msg.props) : {},
    payload: asString ? text : body.toString('base64'),
    payload_encoding: asString ? 'string' : 'base64',
  };
}
