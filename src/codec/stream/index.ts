// RabbitMQ Stream protocol codec (deps/rabbitmq_stream/docs/PROTOCOL.adoc, 3.13) and the osiris chunk format:
// pure, no sockets, no broker types.
export * from './constants.js';
export { StreamCodecError, StreamReader, writeString, writeBytes, writeFrame } from './wire.js';
export type { OffsetSpec, PublishedMessage, Broker, StreamMetadata, CommandVersion } from './schema.js';
export { FRAMES, encodeFrame, decodeFrame, frameBytes, peekKey } from './commands.js';
export type { FrameName, FrameFields, StreamFrame } from './commands.js';
export { StreamFrameDecoder, FRAME_TOO_LARGE_REASON, type StreamFrameHandler } from './frame-decoder.js';
export { PublishReader } from './publish-reader.js';
export { writeDeliverPrefix, writeDeliver, writePublishConfirm } from './deliver.js';
export * from './chunk.js';
export * from './bloom.js';
export { phash2Binary, phash2ListOfBinary } from './phash2.js';
