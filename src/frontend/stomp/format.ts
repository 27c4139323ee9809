// The STOMP content format for core Messages: props are the SEND frame's carried headers as JSON
// ([name, value] pairs, RabbitMQ's user headers plus the ones it maps to AMQP properties). Conversion
// follows rabbit_stomp_util: content-type, content-encoding, persistent, priority, correlation-id,
// reply-to, expiration, amqp-message-id, timestamp, type, user-id and app-id are AMQP properties; every
// other header is an AMQP header (a string), content-length included, as RabbitMQ 3.10 does. Back to STOMP,
// AMQP headers with string or number values become STOMP headers; others (booleans, arrays, tables) are
// dropped, as RabbitMQ drops them.
import type { CommonProperties, ContentFormat, DeathEvent, HeaderTable } from '../../core/message.js';
import { registerFormat } from '../../core/formats.js';

export type StompHeaders = [string, string][];

/** Headers of a SEND not carried with the message. RabbitMQ 3.10 keeps every other one, receipt and
 *  transaction included: they reach AMQP consumers as headers and STOMP ones on the MESSAGE. */
export const FRAME_ONLY = new Set(['destination']);

export function encodeStompProps(h: StompHeaders): Buffer {
  return h.length === 0 ? EMPTY : Buffer.from(JSON.stringify(h));
}

export function decodeStompProps(props: Buffer): StompHeaders {
  return props.length === 0 ? [] : (JSON.parse(props.toString('utf8')) as StompHeaders);
}

const EMPTY = Buffer.alloc(0);

export const stompFormat: ContentFormat = {
  name: 'stomp',
  decodeHeaders(props: Buffer): HeaderTable | null {
    return stompFormat.toCommon(props).headers ?? null;
  },
  toCommon(props: Buffer): CommonProperties {
    const c: CommonProperties = {};
    const h: HeaderTable = {};
    let anyHeader = false;
    for (const [k, v] of decodeStompProps(props)) {
      switch (k) {
        case 'content-type':
          c.contentType = v;
          break;
        case 'content-encoding':
          c.contentEncoding = v;
          break;
        case 'persistent':
          c.deliveryMode = v === 'true' ? 2 : 1;
          break;
        case 'priority':
          if (/^\d+$/.test(v)) c.priority = Number(v);
          break;
        case 'correlation-id':
          c.correlationId = v;
          break;
        case 'reply-to':
          c.replyTo = v;
          break;
        case 'expiration':
          c.expiration = v;
          break;
        case 'amqp-message-id':
          c.messageId = v;
          break;
        case 'timestamp':
          if (/^\d+$/.test(v)) c.timestamp = Number(v);
          break;
        case 'type':
          c.type = v;
          break;
        case 'user-id':
          c.userId = v;
          break;
        case 'app-id':
          c.appId = v;
          break;
        default:
          h[k] = v;
          anyHeader = true;
      }
    }
    if (anyHeader) c.headers = h;
    return c;
  },
  fromCommon(c: CommonProperties): Buffer {
    const out: StompHeaders = [];
    if (c.headers) {
      for (const [k, v] of Object.entries(c.headers)) {
        if (typeof v === 'string') out.push([k, v]);
        else if (typeof v === 'number') out.push([k, String(v)]);
        else if (Buffer.isBuffer(v)) out.push([k, v.toString('utf8')]);
      }
    }
    if (c.appId !== undefined) out.push(['app-id', c.appId]);
    if (c.userId !== undefined) out.push(['user-id', c.userId]);
    if (c.type !== undefined) out.push(['type', c.type]);
    if (c.timestamp !== undefined) out.push(['timestamp', String(c.timestamp)]);
    if (c.messageId !== undefined) out.push(['amqp-message-id', c.messageId]);
    if (c.expiration !== undefined) out.push(['expiration', c.expiration]);
    if (c.replyTo !== undefined) {
      // rabbit_stomp_util: an AMQP reply_to that is not a STOMP destination is a /reply-queue/
      out.push(['reply-to', c.replyTo.startsWith('/') ? c.replyTo : '/reply-queue/' + c.replyTo]);
    }
    if (c.correlationId !== undefined) out.push(['correlation-id', c.correlationId]);
    if (c.priority !== undefined) out.push(['priority', String(c.priority)]);
    // rabbit_stomp_util: persistent:true for delivery_mode 2, no header otherwise
    if (c.deliveryMode === 2) out.push(['persistent', 'true']);
    if (c.contentType !== undefined) out.push(['content-type', c.contentType]);
    if (c.contentEncoding !== undefined) out.push(['content-encoding', c.contentEncoding]);
    return encodeStompProps(out);
  },
  // Dead-lettering a STOMP-published message: expiration removed, the death recorded in the string
  // headers RabbitMQ also sets (x-first-death-*, x-last-death-*); the x-death table itself is not a
  // STOMP header type, and RabbitMQ drops it towards STOMP consumers too.
  deadLettered(props: Buffer, death: DeathEvent): Buffer {
    const h = decodeStompProps(props).filter(([k]) => k !== 'expiration' && !k.startsWith('x-last-death-'));
    const has = (k: string) => h.some((x) => x[0] === k);
    if (!has('x-first-death-reason')) {
      h.push(['x-first-death-reason', death.reason], ['x-first-death-queue', death.queue]);
      h.push(['x-first-death-exchange', death.exchange]);
    }
    h.push(['x-last-death-reason', death.reason], ['x-last-death-queue', death.queue]);
    h.push(['x-last-death-exchange', death.exchange]);
    return encodeStompProps(h);
  },
  withIntHeader(props: Buffer, key: string, value: number): Buffer {
    const h = decodeStompProps(props).filter(([k]) => k !== key);
    h.push([key, String(value)]);
    return encodeStompProps(h);
  },
  messageId(props: Buffer): string | null {
    return stompFormat.toCommon(props).messageId ?? null;
  },
};

registerFormat(stompFormat);
