// AMQP 1.0 type system and message sections (OASIS AMQP 1.0 parts 1 and 3): pure, no broker types.
export * from './types.js';
export { FC, CODE_TYPE } from './format-codes.js';
export { Amqp10Decoder, decodeValue, skipValue, MAX_DEPTH } from './decoder.js';
export { encodeValue } from './encoder.js';
export * from './sections.js';
export * from './message.js';
export * from './from-amqp091.js';
export * from './to-amqp091.js';
