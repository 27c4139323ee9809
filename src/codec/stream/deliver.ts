// Hot-path frames, written without the generic table (commands.ts): Deliver around chunk bytes the caller
// queues by reference (Writer.ref: header and data views of the stored chunk, no copy), and PublishConfirm from
// an array of publishing ids. Layouts: PROTOCOL.adoc "Deliver" (v2 adds CommittedChunkId, 3.13) and
// "PublishConfirm"; rabbit_stream_core frame/1.
import type { Writer } from '../buffer/writer.js';
import { Command } from './constants.js';

/**
 * Size, key, version, subscription id (and committed chunk id for v2), for a Deliver whose chunk bytes (header
 * plus data, `chunkBytes` long) the caller writes next.
 */
export function writeDeliverPrefix(
  w: Writer,
  subscriptionId: number,
  chunkBytes: number,
  committedChunkId?: number,
): void {
  const v2 = committedChunkId !== undefined;
  w.ensure(17);
  w.u32(5 + (v2 ? 8 : 0) + chunkBytes);
  w.u16(Command.Deliver);
  w.u16(v2 ? 2 : 1);
  w.u8(subscriptionId);
  if (v2) w.u64(committedChunkId);
}

/** A whole Deliver frame for a stored chunk's delivery parts (see chunk.ts deliveryParts). */
export function writeDeliver(
  w: Writer,
  subscriptionId: number,
  parts: readonly [Buffer, Buffer],
  committedChunkId?: number,
): void {
  writeDeliverPrefix(w, subscriptionId, parts[0].length + parts[1].length, committedChunkId);
  w.bytes(parts[0]);
  if (parts[1].length >= 8192) w.ref(parts[1]);
  else w.bytes(parts[1]);
}

/** PublishConfirm for ids[from, to). */
export function writePublishConfirm(
  w: Writer,
  publisherId: number,
  ids: ArrayLike<number>,
  from = 0,
  to = ids.length,
): void {
  const n = to - from;
  w.ensure(13 + 8 * n);
  w.u32(9 + 8 * n);
  w.u16(Command.PublishConfirm);
  w.u16(1);
  w.u8(publisherId);
  w.u32(n);
  for (let i = from; i < to; i++) w.u64(ids[i]!);
}
