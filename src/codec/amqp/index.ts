// The AMQP 0-9-1 codec's public surface: frame decoding, method/content/heartbeat encoding, field tables,
// basic properties, constants and CodecError, plus the Writer they all write into. Pure: bytes in, typed
// frames out; no sockets, broker types or logging. method-codec.ts is internal support for the generated file.
export * from './constants.js';
export * from './errors.js';
export * from './field-table.js';
export * from './properties.js';
export * from './frame-decoder.js';
export * from './content.js';
export * from './methods.generated.js';
export { Writer } from '../buffer/writer.js';
