// CodecError: the one exception type the AMQP 0-9-1 codec throws, for malformed input (bytes in) and for values
// it cannot encode (bytes out). It carries the AMQP reply code the connection should close with, the reply
// text WITHOUT RabbitMQ's "CODE_NAME - " prefix (the front end adds it), and the class/method ids of the method
// being decoded (0/0 when the error is not about a method). Also the Erlang-style byte formatting RabbitMQ uses
// in its frame_error texts ("type 1, all octets = <<1,2,3>>: ...").
import { StacklessError } from '../../util/stackless-error.js';

export class CodecError extends StacklessError {
  constructor(
    public replyCode: number,
    message: string,
    public classId = 0,
    public methodId = 0,
  ) {
    super(message);
    this.name = 'CodecError';
  }
}

/** Bytes as Erlang's `~w` prints a binary: <<1,2,3>>. At most `max` bytes, then ",...". */
export function erlBinary(buf: Buffer, start: number, end: number, max = 32): string {
  const n = Math.min(end - start, max);
  let s = '<<';
  for (let i = 0; i < n; i++) s += (i === 0 ? '' : ',') + buf[start + i]!;
  if (end - start > max) s += ',...';
  return s + '>>';
}

/** Bytes as Erlang's `~tp` prints a binary: <<"abc">> when printable, else <<1,2,3>>. */
export function erlBinaryPretty(buf: Buffer, start: number, end: number): string {
  if (end === start) return '<<>>';
  let s = '<<"';
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x09) s += '\\t';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else return erlBinary(buf, start, end, 16);
  }
  return s + '">>';
}

/**
 * RabbitMQ's frame_error text (rabbit_reader:frame_error/5): "type ~tp, ~ts octets = ~tp: ~tp", with the
 * payload cut to its first 16 bytes (payload_snippet/1).
 */
export function frameErrorText(type: number, payload: Buffer, start: number, end: number, error: string): string {
  const all = end - start <= 16;
  const snippet = erlBinaryPretty(payload, start, all ? end : start + 16);
  return `type ${type}, ${all ? 'all' : 'first 16'} octets = ${snippet}: ${error}`;
}
