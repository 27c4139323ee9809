// AMQP 0-9-1 wire constants: frame types and sizes, the protocol header, and the reply codes of the spec's
// <constant> elements (amqp0-9-1.xml), plus NO_ROUTE 312, which RabbitMQ uses for basic.return although its
// extended XML leaves it out. ReplyText maps a code to the name RabbitMQ puts before its reply texts:
// "NOT_FOUND - no queue 'x' in vhost '/'".

export const FrameType = { METHOD: 1, HEADER: 2, BODY: 3, HEARTBEAT: 8 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FRAME_END = 0xce;
/** type(1) channel(2) size(4) */
export const FRAME_HEADER_SIZE = 7;
/** Header plus frame-end octet: a frame's size beyond its payload. */
export const FRAME_OVERHEAD = 8;
/** amqp0-9-1.xml constant frame-min-size: the smallest frame-max a peer may negotiate. */
export const FRAME_MIN_SIZE = 4096;
/** Content header payload: class-id(2) weight(2) body-size(8); the property flags follow. */
export const CONTENT_HEADER_PROPS_OFFSET = 12;

/** "AMQP" 0 0 9 1: what a 0-9-1 client sends first, and what a server answers an unsupported header with. */
export const PROTOCOL_HEADER: Buffer = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]);
/** "AMQP" 1 1 0 9: the 0-9 header, which RabbitMQ accepts as 0-9-1 (rabbit_reader:version_negotiation/2). */
export const PROTOCOL_HEADER_0_9: Buffer = Buffer.from([0x41, 0x4d, 0x51, 0x50, 1, 1, 0, 9]);

export const ReplyCode = {
  REPLY_SUCCESS: 200,
  CONTENT_TOO_LARGE: 311,
  NO_ROUTE: 312,
  NO_CONSUMERS: 313,
  CONNECTION_FORCED: 320,
  INVALID_PATH: 402,
  ACCESS_REFUSED: 403,
  NOT_FOUND: 404,
  RESOURCE_LOCKED: 405,
  PRECONDITION_FAILED: 406,
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
export type ReplyCode = (typeof ReplyCode)[keyof typeof ReplyCode];

/** Code → name, e.g. 404 → 'NOT_FOUND'. */
export const ReplyText: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(ReplyCode).map(([name, code]) => [code, name])),
);

/** Hard errors close the connection, soft errors only the channel (amqp0-9-1.xml constant class). */
export function isHardError(code: number): boolean {
  return code === 320 || code === 402 || code >= 500;
}
