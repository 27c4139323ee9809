// AMQP errors: channel errors close a channel, connection errors the connection (amqp0-9-1.xml "constant"
// classes soft-error / hard-error). Core errors are mapped here once; the connection's catch boundary
// turns these into channel.close / connection.close with RabbitMQ's "CODE_NAME - text" reply text.
import { BrokerError, type ErrorKind } from '../../core/errors.js';
import { StacklessError } from '../../util/stackless-error.js';

export const ChannelReplyCode = {
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
} as const;
export type ChannelReplyCode = (typeof ChannelReplyCode)[keyof typeof ChannelReplyCode];

export const ConnectionReplyCode = {
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  FRAME_ERROR: 501,
  SYNTAX_ERROR: 502,
  COMMAND_INVALID: 503,
  CHANNEL_ERROR: 504,
  UNEXPECTED_FRAME: 505,
  RESOURCE_ERROR: 506,
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  INTERNAL_ERROR: 541,
} as const;
export type ConnectionReplyCode = (typeof ConnectionReplyCode)[keyof typeof ConnectionReplyCode];

const NAMES: Record<number, string> = {
  311: 'CONTENT_TOO_LARGE',
  312: 'NO_ROUTE',
  313: 'NO_CONSUMERS',
  320: 'CONNECTION_FORCED',
  402: 'INVALID_PATH',
  403: 'ACCESS_REFUSED',
  404: 'NOT_FOUND',
  405: 'RESOURCE_LOCKED',
  406: 'PRECONDITION_FAILED',
  501: 'FRAME_ERROR',
  502: 'SYNTAX_ERROR',
  503: 'COMMAND_INVALID',
  504: 'CHANNEL_ERROR',
  505: 'UNEXPECTED_FRAME',
  506: 'RESOURCE_ERROR',
  530: 'NOT_ALLOWED',
  540: 'NOT_IMPLEMENTED',
  541: 'INTERNAL_ERROR',
};

/** RabbitMQ's reply text: "NOT_FOUND - no queue 'q' in vhost '/'". */
export function replyText(code: number, text: string): string {
  const t = `${NAMES[code] ?? 'UNKNOWN'} - ${text}`;
  // reply-text is a shortstr: RabbitMQ truncates to 255 bytes
  return Buffer.byteLength(t) > 255
    ? Buffer.from(t)
        .subarray(0, 255)
        .toString('utf8')
        .replace(/\uFFFD$/, '')
    : t;
}

export class AmqpChannelError extends StacklessError {
  constructor(
    readonly code: ChannelReplyCode,
    message: string,
  ) {
    super(message);
  }
}

export class AmqpConnectionError extends StacklessError {
  constructor(
    readonly code: ConnectionReplyCode,
    message: string,
    /** The class and method ids RabbitMQ names in the close, when not those of the last method read. */
    readonly ids: readonly [number, number] | null = null,
  ) {
    super(message);
  }
}

const CHANNEL_KINDS: Partial<Record<ErrorKind, ChannelReplyCode>> = {
  NOT_FOUND: 404,
  ACCESS_REFUSED: 403,
  PRECONDITION_FAILED: 406,
  RESOURCE_LOCKED: 405,
};
const CONNECTION_KINDS: Partial<Record<ErrorKind, ConnectionReplyCode>> = {
  NOT_ALLOWED: 530,
  NOT_IMPLEMENTED: 540,
  COMMAND_INVALID: 503,
  RESOURCE_ERROR: 506,
  INTERNAL_ERROR: 541,
};

/** Map a core error onto the AMQP error it is. */
export function fromBrokerError(e: BrokerError): AmqpChannelError | AmqpConnectionError {
  const ch = CHANNEL_KINDS[e.kind];
  if (ch !== undefined) return new AmqpChannelError(ch, e.message);
  return new AmqpConnectionError(CONNECTION_KINDS[e.kind] ?? 541, e.message);
}

export const channelError = (code: ChannelReplyCode, text: string) => new AmqpChannelError(code, text);
export const connectionError = (
  code: ConnectionReplyCode,
  text: string,
  ids: readonly [number, number] | null = null,
) => new AmqpConnectionError(code, text, ids);
/** rabbit_command_assembler: a content frame where a method is due names no method (0, 0). */
export const NO_METHOD: readonly [number, number] = [0, 0];
/** ... and a frame other than the content a basic.publish announced names basic.publish (60, 40). */
export const BASIC_PUBLISH: readonly [number, number] = [60, 40];
