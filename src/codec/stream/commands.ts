// Every command of RabbitMQ 3.13's Stream protocol (deps/rabbitmq_stream/docs/PROTOCOL.adoc; the wire layouts
// as rabbit_stream_core.erl writes and parses them, and 3.11-3.13's commands 26-30 as the stream clients send
// them), as one table: name → key, version, response bit, fields. encodeFrame/decodeFrame are driven by it and
// the TypeScript type of each frame is derived from it. Responses have the key's top bit set (0x8000).
// Hot paths do not go through here: publish-reader.ts reads Publish without a per-message object and deliver.ts
// writes Deliver frames around chunk bytes.
import type { Writer } from '../buffer/writer.js';
import { Command, RESPONSE_BIT, ResponseCode } from './constants.js';
import { readKind, writeKind, type FieldList, type FieldsOf } from './schema.js';
import { StreamCodecError, StreamReader, writeFrame } from './wire.js';

interface Def {
  readonly key: number;
  readonly version: number;
  readonly response: boolean;
  readonly fields: FieldList;
}

const CORR = ['correlationId', 'u32'] as const;
const CODE = ['responseCode', 'u16'] as const;
const req = <F extends FieldList>(key: number, fields: F, version = 1) =>
  ({ key, version, response: false, fields }) as const;
const res = <F extends FieldList>(key: number, fields: F) => ({ key, version: 1, response: true, fields }) as const;
/** The common response: CorrelationId ResponseCode. */
const std = (key: number) => res(key, [CORR, CODE] as const);

export const FRAMES = {
  DeclarePublisherRequest: req(Command.DeclarePublisher, [
    CORR,
    ['publisherId', 'u8'],
    ['publisherReference', 'nstring'],
    ['stream', 'string'],
  ] as const),
  DeclarePublisherResponse: std(Command.DeclarePublisher),
  Publish: req(Command.Publish, [
    ['publisherId', 'u8'],
    ['messages', 'published'],
  ] as const),
  /** Publish v2 (3.13, filtering): PublishingId FilterValue Message. */
  PublishV2: req(
    Command.Publish,
    [
      ['publisherId', 'u8'],
      ['messages', 'publishedV2'],
    ] as const,
    2,
  ),
  PublishConfirm: req(Command.PublishConfirm, [
    ['publisherId', 'u8'],
    ['publishingIds', 'u64s'],
  ] as const),
  PublishError: req(Command.PublishError, [
    ['publisherId', 'u8'],
    ['errors', 'publishErrors'],
  ] as const),
  QueryPublisherSequenceRequest: req(Command.QueryPublisherSequence, [
    CORR,
    ['publisherReference', 'string'],
    ['stream', 'string'],
  ] as const),
  QueryPublisherSequenceResponse: res(Command.QueryPublisherSequence, [CORR, CODE, ['sequence', 'u64']] as const),
  DeletePublisherRequest: req(Command.DeletePublisher, [CORR, ['publisherId', 'u8']] as const),
  DeletePublisherResponse: std(Command.DeletePublisher),
  SubscribeRequest: req(Command.Subscribe, [
    CORR,
    ['subscriptionId', 'u8'],
    ['stream', 'string'],
    ['offsetSpec', 'offsetSpec'],
    ['credit', 'u16'],
    ['properties', 'optProps'],
  ] as const),
  SubscribeResponse: std(Command.Subscribe),
  /** Deliver v1: SubscriptionId OsirisChunk (chunk.ts reads the chunk). */
  Deliver: req(Command.Deliver, [
    ['subscriptionId', 'u8'],
    ['chunk', 'rest'],
  ] as const),
  /** Deliver v2 (3.13): SubscriptionId CommittedChunkId OsirisChunk. */
  DeliverV2: req(
    Command.Deliver,
    [
      ['subscriptionId', 'u8'],
      ['committedChunkId', 'u64'],
      ['chunk', 'rest'],
    ] as const,
    2,
  ),
  Credit: req(Command.Credit, [
    ['subscriptionId', 'u8'],
    ['credit', 'u16'],
  ] as const),
  /** Sent only on a problem (e.g. an unknown subscription), and without a correlation id. */
  CreditResponse: res(Command.Credit, [CODE, ['subscriptionId', 'u8']] as const),
  StoreOffset: req(Command.StoreOffset, [
    ['reference', 'string'],
    ['stream', 'string'],
    ['offset', 'u64'],
  ] as const),
  QueryOffsetRequest: req(Command.QueryOffset, [CORR, ['reference', 'string'], ['stream', 'string']] as const),
  QueryOffsetResponse: res(Command.QueryOffset, [CORR, CODE, ['offset', 'u64']] as const),
  UnsubscribeRequest: req(Command.Unsubscribe, [CORR, ['subscriptionId', 'u8']] as const),
  UnsubscribeResponse: std(Command.Unsubscribe),
  CreateRequest: req(Command.Create, [CORR, ['stream', 'string'], ['arguments', 'props']] as const),
  CreateResponse: std(Command.Create),
  DeleteRequest: req(Command.Delete, [CORR, ['stream', 'string']] as const),
  DeleteResponse: std(Command.Delete),
  MetadataRequest: req(Command.Metadata, [CORR, ['streams', 'strings']] as const),
  /** No response code of its own: one per stream in streamMetadata. */
  MetadataResponse: res(Command.Metadata, [
    CORR,
    ['brokers', 'brokers'],
    ['streamMetadata', 'streamMetadata'],
  ] as const),
  MetadataUpdate: req(Command.MetadataUpdate, [
    ['code', 'u16'],
    ['stream', 'string'],
  ] as const),
  PeerPropertiesRequest: req(Command.PeerProperties, [CORR, ['properties', 'props']] as const),
  PeerPropertiesResponse: res(Command.PeerProperties, [CORR, CODE, ['properties', 'props']] as const),
  SaslHandshakeRequest: req(Command.SaslHandshake, [CORR] as const),
  SaslHandshakeResponse: res(Command.SaslHandshake, [CORR, CODE, ['mechanisms', 'strings']] as const),
  SaslAuthenticateRequest: req(Command.SaslAuthenticate, [
    CORR,
    ['mechanism', 'string'],
    ['saslOpaqueData', 'bytes'],
  ] as const),
  /** The challenge is left out when there is none (rabbit_stream_core response_body/1). */
  SaslAuthenticateResponse: res(Command.SaslAuthenticate, [CORR, CODE, ['saslOpaqueData', 'optBytes']] as const),
  /** Sent by the server first (no correlation id); the client answers with TuneResponse. */
  TuneRequest: req(Command.Tune, [
    ['frameMax', 'u32'],
    ['heartbeat', 'u32'],
  ] as const),
  TuneResponse: res(Command.Tune, [
    ['frameMax', 'u32'],
    ['heartbeat', 'u32'],
  ] as const),
  OpenRequest: req(Command.Open, [CORR, ['virtualHost', 'string']] as const),
  /** Connection properties (advertised_host, advertised_port) on success; none on an error. */
  OpenResponse: res(Command.Open, [CORR, CODE, ['connectionProperties', 'optProps']] as const),
  CloseRequest: req(Command.Close, [CORR, ['closingCode', 'u16'], ['closingReason', 'string']] as const),
  CloseResponse: std(Command.Close),
  Heartbeat: req(Command.Heartbeat, [] as const),
  RouteRequest: req(Command.Route, [CORR, ['routingKey', 'string'], ['superStream', 'string']] as const),
  RouteResponse: res(Command.Route, [CORR, CODE, ['streams', 'strings']] as const),
  PartitionsRequest: req(Command.Partitions, [CORR, ['superStream', 'string']] as const),
  PartitionsResponse: res(Command.Partitions, [CORR, CODE, ['streams', 'strings']] as const),
  /** Server → client (single active consumer): is this subscription now active? */
  ConsumerUpdateRequest: req(Command.ConsumerUpdate, [CORR, ['subscriptionId', 'u8'], ['active', 'u8']] as const),
  /** Client → server: where the newly active consumer starts. */
  ConsumerUpdateResponse: res(Command.ConsumerUpdate, [CORR, CODE, ['offsetSpec', 'offsetSpec']] as const),
  ExchangeCommandVersionsRequest: req(Command.ExchangeCommandVersions, [CORR, ['commands', 'versions']] as const),
  ExchangeCommandVersionsResponse: res(Command.ExchangeCommandVersions, [
    CORR,
    CODE,
    ['commands', 'versions'],
  ] as const),
  StreamStatsRequest: req(Command.StreamStats, [CORR, ['stream', 'string']] as const),
  StreamStatsResponse: res(Command.StreamStats, [CORR, CODE, ['stats', 'stats']] as const),
  CreateSuperStreamRequest: req(Command.CreateSuperStream, [
    CORR,
    ['superStream', 'string'],
    ['partitions', 'strings'],
    ['bindingKeys', 'strings'],
    ['arguments', 'props'],
  ] as const),
  CreateSuperStreamResponse: std(Command.CreateSuperStream),
  // the super stream's field is not called `name`: that is the decoded frame's own key
  DeleteSuperStreamRequest: req(Command.DeleteSuperStream, [CORR, ['superStream', 'string']] as const),
  DeleteSuperStreamResponse: std(Command.DeleteSuperStream),
} as const satisfies Record<string, Def>;

export type FrameName = keyof typeof FRAMES;
export type FrameFields<N extends FrameName> = FieldsOf<(typeof FRAMES)[N]['fields']>;
/** A decoded frame: its table name plus its fields. */
export type StreamFrame = { [N in FrameName]: { name: N } & FrameFields<N> }[FrameName];

const BY_WIRE = new Map<number, FrameName>();
for (const name of Object.keys(FRAMES) as FrameName[]) {
  const d: Def = FRAMES[name];
  BY_WIRE.set(((d.response ? d.key | RESPONSE_BIT : d.key) << 8) | d.version, name);
}

/** Writes frame `name` (size prefix included). */
export function encodeFrame<N extends FrameName>(w: Writer, name: N, fields: FrameFields<N>): void {
  const d: Def = FRAMES[name];
  const f = fields as Record<string, unknown>;
  writeFrame(w, d.response ? d.key | RESPONSE_BIT : d.key, d.version, () => {
    for (const [field, kind] of d.fields) writeKind(w, kind, f[field]);
  });
}

/** The frame's bytes (size prefix included), for tests and rare frames. */
export function frameBytes<N extends FrameName>(name: N, fields: FrameFields<N>, w: Writer): Buffer {
  encodeFrame(w, name, fields);
  return w.take()!;
}

/**
 * Decodes one frame from buf[start, end) (the bytes after the size prefix, as StreamFrameDecoder hands them
 * out). Fields that are Buffers are views of buf. Unknown key/version: StreamCodecError UnknownFrame; bytes
 * left over: likewise (rabbit_stream_core matches whole binaries).
 */
export function decodeFrame(buf: Buffer, start = 0, end = buf.length): StreamFrame {
  if (end - start < 4) throw new StreamCodecError('stream frame shorter than its key and version');
  const key = buf.readUInt16BE(start);
  const version = buf.readUInt16BE(start + 2);
  const name = BY_WIRE.get((key << 8) | version);
  if (name === undefined)
    throw new StreamCodecError(
      `unknown command key 0x${key.toString(16)} version ${version}`,
      ResponseCode.UnknownFrame,
    );
  const d: Def = FRAMES[name];
  const r = new StreamReader(buf, start + 4, end);
  const out: Record<string, unknown> = { name };
  for (const [field, kind] of d.fields) out[field] = readKind(r, kind);
  if (r.remaining !== 0) throw new StreamCodecError(`${r.remaining} unexpected bytes at the end of ${name}`);
  return out as StreamFrame;
}

/** The key and version of a frame without decoding it (e.g. to refuse an unknown command with its key). */
export function peekKey(buf: Buffer, start = 0): { key: number; version: number } {
  return { key: buf.readUInt16BE(start), version: buf.readUInt16BE(start + 2) };
}
