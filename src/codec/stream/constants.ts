// RabbitMQ Stream protocol constants (deps/rabbitmq_stream/docs/PROTOCOL.adoc, 3.13; rabbit_stream.hrl):
// command keys, the response bit, response codes, offset specification types and metadata-update codes.

/** Command keys (PROTOCOL.adoc "Commands" table, plus 3.11-3.13's 26-30). */
export const Command = {
  DeclarePublisher: 0x0001,
  Publish: 0x0002,
  PublishConfirm: 0x0003,
  PublishError: 0x0004,
  QueryPublisherSequence: 0x0005,
  DeletePublisher: 0x0006,
  Subscribe: 0x0007,
  Deliver: 0x0008,
  Credit: 0x0009,
  StoreOffset: 0x000a,
  QueryOffset: 0x000b,
  Unsubscribe: 0x000c,
  Create: 0x000d,
  Delete: 0x000e,
  Metadata: 0x000f,
  MetadataUpdate: 0x0010,
  PeerProperties: 0x0011,
  SaslHandshake: 0x0012,
  SaslAuthenticate: 0x0013,
  Tune: 0x0014,
  Open: 0x0015,
  Close: 0x0016,
  Heartbeat: 0x0017,
  Route: 0x0018,
  Partitions: 0x0019,
  ConsumerUpdate: 0x001a,
  ExchangeCommandVersions: 0x001b,
  StreamStats: 0x001c,
  CreateSuperStream: 0x001d,
  DeleteSuperStream: 0x001e,
} as const;
export type CommandName = keyof typeof Command;

/** "the most significant bit being used to make the difference between a request (0) and a response (1)". */
export const RESPONSE_BIT = 0x8000;

/** PROTOCOL.adoc "Response Codes" (and rabbit_stream.hrl's NO_OFFSET, 3.11+). */
export const ResponseCode = {
  OK: 0x01,
  StreamDoesNotExist: 0x02,
  SubscriptionIdAlreadyExists: 0x03,
  SubscriptionIdDoesNotExist: 0x04,
  StreamAlreadyExists: 0x05,
  StreamNotAvailable: 0x06,
  SaslMechanismNotSupported: 0x07,
  AuthenticationFailure: 0x08,
  SaslError: 0x09,
  SaslChallenge: 0x0a,
  SaslAuthenticationFailureLoopback: 0x0b,
  VirtualHostAccessFailure: 0x0c,
  UnknownFrame: 0x0d,
  FrameTooLarge: 0x0e,
  InternalError: 0x0f,
  AccessRefused: 0x10,
  PreconditionFailed: 0x11,
  PublisherDoesNotExist: 0x12,
  NoOffset: 0x13,
} as const;
export type ResponseCodeName = keyof typeof ResponseCode;

/** Subscribe's OffsetType (PROTOCOL.adoc "Subscribe"): first, last, next, offset (uint64), timestamp (int64 ms). */
export const OffsetType = { First: 1, Last: 2, Next: 3, Offset: 4, Timestamp: 5 } as const;

/** MetadataUpdate's code: RabbitMQ sends it when a stream's leader goes or the stream is deleted. */
export const METADATA_UPDATE_STREAM_NOT_AVAILABLE = ResponseCode.StreamNotAvailable;

/** Chunk types (osiris_log.erl: CHNK_USER, CHNK_TRK_DELTA, CHNK_TRK_SNAPSHOT). */
export const ChunkType = { User: 0, TrackingDelta: 1, TrackingSnapshot: 2 } as const;

/** The versions of each command this codec speaks, as ExchangeCommandVersions advertises them. */
export const COMMAND_VERSIONS: ReadonlyArray<{ key: number; minVersion: number; maxVersion: number }> = Object.values(
  Command,
).map((key) => ({ key, minVersion: 1, maxVersion: key === Command.Publish || key === Command.Deliver ? 2 : 1 }));
