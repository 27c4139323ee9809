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

/** A reader at its own position in the stream, handing out one message at a time. */
export interface StreamReader {
  /** The next message read (a core Message for the core's protocols), or null when `fill` is needed. */
  take(): Message | null;
  /** The offset of the message `take` returned last. */
  readonly offset: number;
  /** Read more (waits at the tail); false once closed. Rejects when retention deleted what it was reading. */
  fill(): Promise<boolean>;
  close(): void;
}

export interface StreamBacking {
  /** The first offset still kept (retention moves it on). */
  readonly firstOffset: number;
  /** The offset the next appended message gets. */
  readonly nextOffset: number;
  /** The first offset of the last chunk (x-stream-offset "last"), or nextOffset when empty. */
  readonly lastChunkId: number;
  /** Bytes of the stream's segment files. */
  readonly bytes: number;
  readonly segments: number;
  /** Add a message (stored as AMQP 1.0); returns its offset. Written at the end of the turn. */
  appendMessage(m: Message): number;
  /** The first offset of the chunk holding `offset` (clamped to what is kept). */
  chunkStartFor(offset: number): number;
  /** The first offset of the first chunk written at or after `ms` (epoch ms), or nextOffset. */
  offsetForTimestamp(ms: number): number;
  /** A reader handing out the messages from `offset` on (`queueName`: the routing key of stream-native ones). */
  reader(offset: number, queueName: string): StreamReader;
  /** Settings changed (retention, segment size): apply them. */
  configure(maxBytes: number, maxAgeMs: number, maxSegmentSize: number): void;
  /** The queue was deleted: its files go. */
  deleted(): void;
}
