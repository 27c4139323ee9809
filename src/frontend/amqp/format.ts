// The AMQP 0-9-1 content format for core Messages: props are the content header from the property flags
// on, decoded only when the core asks (headers exchange).
import { decodeProperties } from '../../codec/amqp/properties.js';
import type { ContentFormat, HeaderTable } from '../../core/message.js';

export const amqpFormat: ContentFormat = {
  name: 'amqp-0-9-1',
  decodeHeaders(props: Buffer): HeaderTable | null {
    return decodeProperties(props, 0, props.length).headers;
  },
};
