// The AMQP 0-9-1 content format for core Messages: props are the content header from the property flags
// on, decoded only when the core asks (headers exchange), rewritten only for dead-lettering (x-death) and
// quorum redeliveries (x-delivery-count).
import { decodeProperties } from '../../codec/amqp/properties.js';
import type { ContentFormat, DeathEvent, HeaderTable } from '../../core/message.js';
import { registerFormat } from '../../core/formats.js';
import { deadLetterProps, withLongHeader } from './death-headers.js';

export const amqpFormat: ContentFormat = {
  name: 'amqp-0-9-1',
  decodeHeaders(props: Buffer): HeaderTable | null {
    return decodeProperties(props, 0, props.length).headers;
  },
  deadLettered(props: Buffer, death: DeathEvent): Buffer {
    return deadLetterProps(props, death);
  },
  withIntHeader(props: Buffer, key: string, value: number): Buffer {
    return withLongHeader(props, key, value);
  },
  messageId(props: Buffer): string | null {
    return decodeProperties(props, 0, props.length).messageId;
  },
};

registerFormat(amqpFormat);
