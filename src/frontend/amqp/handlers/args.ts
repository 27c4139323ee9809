// The wire types of a declare's arguments table, read from the method payload (RabbitMQ keeps them: e.g.
// x-max-length sent as a long string is refused with the type in the text, and definitions export them).
import { tableTypes } from '../../../codec/amqp/field-table.js';

export function shortstrSize(s: string): number {
  return 1 + Buffer.byteLength(s);
}

/** Wire type names of the arguments table starting (at its u32 length) at `offset` of a method payload. */
export function argTypesAt(payload: Buffer, offset: number): Record<string, string> {
  const len = payload.readUInt32BE(offset);
  return len === 0 ? {} : tableTypes(payload, offset + 4, len);
}
