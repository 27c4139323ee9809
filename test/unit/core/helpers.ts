// Test helpers for the core: messages without a protocol behind them.
import { Message, type ContentFormat, type HeaderTable } from '../../../src/core/message.js';

const headersOf = new WeakMap<Buffer, HeaderTable | null>();

export const testFormat: ContentFormat = {
  name: 'test',
  decodeHeaders: (props) => headersOf.get(props) ?? null,
  toCommon: (props) => {
    const h = headersOf.get(props);
    return h ? { headers: h } : {};
  },
  fromCommon: () => Buffer.alloc(2),
  deadLettered: (props) => props,
  withIntHeader: (props) => props,
  messageId: () => null,
};

export function msg(routingKey: string, headers: HeaderTable | null = null, body = 'x', exchange = 'x'): Message {
  const props = Buffer.alloc(2);
  headersOf.set(props, headers);
  return new Message(testFormat, exchange, routingKey, props, Buffer.from(body), false, 0, null, 0, 0);
}
