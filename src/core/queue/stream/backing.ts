// What a stream queue needs from storage (defined by the core, implemented by src/storage/streams, wired by
// storage at declare and at boot, as QueueBacking is for classic queues). A stream is an append-only log of
// osiris chunks (codec/stream/chunk.ts): each chunk holds consecutive offsets; readers start at a chunk
// and follow the tail.

import type { Message } from '../../message.js';

/** Where a consumer starts (x-stream-offset; the Stream protocol's offset specification). */
export type OffsetSpec =
  | { kind: 'first' }
  | { kind: 'last' }
  | { kind: 'next' }
  | { kind: 'offset'; offset: number }
  | { kind: 'timestamp'; ms: number };

/**
 * A consumer's filter (RabbitMQ 3.13 stream filtering, https://www.rabbitmq.com/docs/stream-filtering): over
 * 0-9-1 the consume arguments `x-stream-filter` (a string or an array of strings) and
 * `x-stream-match-unfiltered`; over the Stream protocol the subscribe properties `filter.N` and
 * `match-unfiltered`. Publishers give each message a filter value (0-9-1: the `x-stream-filter-value` header;
 * Stream protocol: Publish v2); each chunk stores a bloom filter of its values.
 */
export interface StreamFilter {
  values: string[];
  /** Also deliver messages published without a filter value. */
  matchUnfiltered: boolean;
}

/** A reader at its own position in the stream, handing out one message at a time. */
export interface StreamReader {
  /** The next message read (a core Message for the core's protocols), or null when `fill` is needed. */
  take(): Message | null;
  /** The offset of the message `take` returned last. */
  readonly offset: number;
  /**
   * Read more (waits at the tail); false once closed. Rejects when retention deleted what it was reading.
   * `whenWritten`, if given, is called with a function to call once everything delivered from the chunks
   * taken so far has been written out (their buffer is reused then).
   */
  fill(whenWritten?: (release: () => void) => void): Promise<boolean>;
  close(): void;
}

/**
 * A stored chunk as StreamChunkReader hands it out (one reused object): its header and bloom filter, and its
 * data as one or more views of the read buffers (a chunk may span two reads). The trailer is not included.
 */
export interface StoredChunk {
  /** The 48-byte chunk header and the bloom filter after it (bloom size at byte 44). */
  head: Buffer;
  /** The data (data length at header byte 36), in order. */
  data: Buffer[];
}

/**
 * A reader of whole stored chunks for the Stream protocol, whose Deliver sends a chunk as stored (header and
 * data, codec/stream/chunk.ts deliveryParts): no message is decoded. Only user chunks are handed out.
 */
export interface StreamChunkReader {
  /** The next stored chunk, valid until the next `take` or `fill`; or null (fill). */
  take(): StoredChunk | null;
  /**
   * Read more (waits at the tail); false once closed. Rejects when retention deleted what it was reading (the
   * next fill starts from the oldest chunk kept). `whenWritten`, if given, is called with a function to call
   * once everything queued for the socket so far has been written (the read buffers are reused then).
   */
  fill(whenWritten?: (release: () => void) => void): Promise<boolean>;
  close(): void;
}

/** What a stream keeps besides messages, as RabbitMQ's osiris does (survives restarts). */
export interface StreamTracking {
  /**
   * The last publishing id written by the named publisher (deduplication), undefined when it wrote none: its
   * first message is stored whatever its id, 0 included (osiris; QueryPublisherSequence answers 0 for both).
   */
  publisherSequence(reference: string): number | undefined;
  /** Record it with the chunk being built (its trailer): it is durable when that chunk is. */
  setPublisherSequence(reference: string, publishingId: number): void;
  /** The offset a consumer stored under `reference` (server-side offset tracking), or undefined. */
  storedOffset(reference: string): number | undefined;
  storeOffset(reference: string, offset: number): void;
  /** Every publisher sequence and stored offset (the rabbitmq-streams tracking commands). */
  trackingInfo(): TrackingInfo;
}

/** A stream's tracking as osiris:read_tracking reports it. */
export interface TrackingInfo {
  /** Per publisher reference: its last publishing id and the chunk whose trailer recorded it. */
  sequences: Array<{ reference: string; chunkId: number; sequence: number }>;
  /** Per consumer reference: the offset it stored. */
  offsets: Array<{ reference: string; offset: number }>;
}

export interface StreamBacking {
  /** Publisher sequences and consumer offsets (tracking.ts in storage). */
  readonly tracking: StreamTracking;
  /** The first offset still kept (retention moves it on). */
  readonly firstOffset: number;
  /** The offset the next appended message gets. */
  readonly nextOffset: number;
  /** The offsets of fsynced chunks end before this (≤ nextOffset): the message count counts these. */
  readonly durableEnd: number;
  /** The first offset of the last chunk (x-stream-offset "last"), or nextOffset when empty. */
  readonly lastChunkId: number;
  /** Bytes of the stream's segment files. */
  readonly bytes: number;
  readonly segments: number;
  /** Add a message (stored as AMQP 1.0); returns its offset. Written at the end of the turn. */
  appendMessage(m: Message): number;
  /**
   * Add one AMQP 1.0 encoded message as a Stream protocol client sent it (bytes src[start, end), stored as
   * is) with its filter value (Publish v2); returns its offset. Written at the end of the turn.
   */
  appendRaw(src: Buffer, start: number, end: number, filterValue: Buffer | null): number;
  /** A sub-batch entry as a Stream protocol client sent it (compressed or not); returns its first offset. */
  appendSubBatch(compression: number, records: number, uncompressedLength: number, body: Buffer): number;
  /** The id of the last chunk written (Deliver v2's committed chunk id), or -1 when none. */
  readonly committedChunkId: number;
  /** A chunk reader from the chunk holding `offset` (the caller skips the entries before it). */
  chunkReader(offset: number): StreamChunkReader;
  /** The first offset of the chunk holding `offset` (clamped to what is kept). */
  chunkStartFor(offset: number): number;
  /** The first offset of the first chunk written at or after `ms` (epoch ms), or nextOffset. */
  offsetForTimestamp(ms: number): number;
  /**
   * A reader handing out the messages from `offset` on (`queueName`: the routing key of stream-native ones).
   * With a filter, chunks whose bloom filter cannot hold a wanted value are skipped whole (as osiris does),
   * and within a chunk a message is skipped when its filter value is known and not wanted: a message stored
   * by the broker from 0-9-1/MQTT/STOMP carries its value (or its absence) in its x-stream-filter-value
   * annotation; a Stream protocol message's value is not in the message, so one in a matching chunk is
   * handed out (the client filters too, as RabbitMQ requires of stream clients).
   */
  reader(offset: number, queueName: string, filter?: StreamFilter | null): StreamReader;
  /**
   * For readers that take whole stored chunks (the Stream protocol sends them as they are): a test of a
   * stored chunk (header, bloom, data, trailer: one LogRecord payload) against `filter`; false means no
   * entry of that chunk can match, so it is skipped (osiris_bloom:is_match). Compile once per subscription.
   */
  chunkFilter(filter: StreamFilter): (storedChunk: Buffer) => boolean;
  /** Settings changed (retention, segment size): apply them. */
  configure(maxBytes: number, maxAgeMs: number, maxSegmentSize: number): void;
  /** The queue was deleted: its files go. */
  deleted(): void;
}
