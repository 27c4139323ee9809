// Field kinds of the Stream protocol commands, and how each is read and written (PROTOCOL.adoc). A command is a
// list of [name, kind] pairs (commands.ts); the TypeScript type of a decoded command is derived from that list,
// so the table is the one source of truth for encode, decode and types.
import type { Writer } from '../buffer/writer.js';
import { OffsetType } from './constants.js';
import { StreamCodecError, StreamReader, writeBytes, writeString } from './wire.js';

/** Subscribe / ConsumerUpdate offset specification (PROTOCOL.adoc "Subscribe": OffsetType Offset). */
export type OffsetSpec =
  | { type: 'first' }
  | { type: 'last' }
  | { type: 'next' }
  | { type: 'offset'; offset: number }
  | { type: 'timestamp'; timestamp: number };

export interface PublishedMessage {
  publishingId: number;
  /** Publish v2 only (null when the publisher set none). */
  filterValue?: string | null;
  /** The AMQP 1.0 encoded message, a view of the frame. */
  message: Buffer;
}

export interface Broker {
  reference: number;
  host: string;
  port: number;
}

export interface StreamMetadata {
  stream: string;
  responseCode: number;
  /** 0xffff when the stream has no leader (RabbitMQ writes -1:16). */
  leaderReference: number;
  replicasReferences: number[];
}

export interface CommandVersion {
  key: number;
  minVersion: number;
  maxVersion: number;
}

export interface KindTypes {
  u8: number;
  u16: number;
  i16: number;
  u32: number;
  u64: number;
  i64: number;
  string: string;
  nstring: string | null;
  bytes: Buffer | null;
  strings: string[];
  props: Record<string, string>;
  /** props that may be absent at the end of the frame (Subscribe, Open response). */
  optProps: Record<string, string> | undefined;
  /** bytes that may be absent at the end of the frame (SaslAuthenticate response). */
  optBytes: Buffer | undefined;
  u64s: number[];
  u16s: number[];
  offsetSpec: OffsetSpec;
  published: PublishedMessage[];
  publishedV2: PublishedMessage[];
  publishErrors: Array<{ publishingId: number; code: number }>;
  brokers: Broker[];
  streamMetadata: StreamMetadata[];
  versions: CommandVersion[];
  stats: Record<string, number>;
  rest: Buffer;
}
export type Kind = keyof KindTypes;
export type FieldList = ReadonlyArray<readonly [string, Kind]>;
export type FieldsOf<L extends FieldList> = { -readonly [E in L[number] as E[0]]: KindTypes[E[1]] };

function readProps(r: StreamReader): Record<string, string> {
  const n = r.count(4);
  const m: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const k = r.str();
    const v = r.str();
    if (k !== '__proto__') m[k] = v;
  }
  return m;
}

function writeProps(w: Writer, m: Record<string, string>): void {
  const keys = Object.keys(m);
  w.u32(keys.length);
  for (const k of keys) {
    writeString(w, k);
    writeString(w, m[k]!);
  }
}

export function readOffsetSpec(r: StreamReader): OffsetSpec {
  const t = r.u16();
  switch (t) {
    case OffsetType.First:
      return { type: 'first' };
    case OffsetType.Last:
      return { type: 'last' };
    case OffsetType.Next:
      return { type: 'next' };
    case OffsetType.Offset:
      return { type: 'offset', offset: r.u64() };
    case OffsetType.Timestamp:
      return { type: 'timestamp', timestamp: r.i64() };
    default:
      throw new StreamCodecError(`unknown offset type ${t}`);
  }
}

export function writeOffsetSpec(w: Writer, s: OffsetSpec): void {
  switch (s.type) {
    case 'first':
      w.u16(OffsetType.First);
      return;
    case 'last':
      w.u16(OffsetType.Last);
      return;
    case 'next':
      w.u16(OffsetType.Next);
      return;
    case 'offset':
      w.u16(OffsetType.Offset);
      w.u64(s.offset);
      return;
    case 'timestamp':
      w.u16(OffsetType.Timestamp);
      w.i64(s.timestamp);
  }
}

/** Reads one field of kind `k`. */
export function readKind(r: StreamReader, k: Kind): unknown {
  switch (k) {
    case 'u8':
      return r.u8();
    case 'u16':
      return r.u16();
    case 'i16':
      return r.i16();
    case 'u32':
      return r.u32();
    case 'u64':
      return r.u64();
    case 'i64':
      return r.i64();
    case 'string':
      return r.str();
    case 'nstring':
      // written as null (-1) by some tests; read as RabbitMQ reads it (DeclarePublisher's reference: a string)
      return r.str();
    case 'bytes':
      return r.bytes();
    case 'strings': {
      const n = r.count(2);
      const a: string[] = [];
      for (let i = 0; i < n; i++) a.push(r.str());
      return a;
    }
    case 'props':
      return readProps(r);
    case 'optProps':
      return r.remaining === 0 ? undefined : readProps(r);
    case 'optBytes':
      return r.remaining === 0 ? undefined : (r.bytes() ?? undefined);
    case 'u64s': {
      const n = r.count(8);
      const a: number[] = [];
      for (let i = 0; i < n; i++) a.push(r.u64());
      return a;
    }
    case 'u16s': {
      const n = r.count(2);
      const a: number[] = [];
      for (let i = 0; i < n; i++) a.push(r.u16());
      return a;
    }
    case 'offsetSpec':
      return readOffsetSpec(r);
    case 'published':
    case 'publishedV2': {
      const v2 = k === 'publishedV2';
      const n = r.count(v2 ? 14 : 12);
      const a: PublishedMessage[] = [];
      for (let i = 0; i < n; i++) {
        const publishingId = r.u64();
        const filterValue = v2 ? r.string() : undefined;
        const message = r.bytes() ?? Buffer.alloc(0);
        a.push(v2 ? { publishingId, filterValue, message } : { publishingId, message });
      }
      return a;
    }
    case 'publishErrors': {
      const n = r.count(10);
      const a: Array<{ publishingId: number; code: number }> = [];
      for (let i = 0; i < n; i++) a.push({ publishingId: r.u64(), code: r.u16() });
      return a;
    }
    case 'brokers': {
      const n = r.count(8);
      const a: Broker[] = [];
      for (let i = 0; i < n; i++) a.push({ reference: r.u16(), host: r.str(), port: r.u32() });
      return a;
    }
    case 'streamMetadata': {
      const n = r.count(10);
      const a: StreamMetadata[] = [];
      for (let i = 0; i < n; i++) {
        const stream = r.str();
        const responseCode = r.u16();
        const leaderReference = r.u16();
        a.push({ stream, responseCode, leaderReference, replicasReferences: readKind(r, 'u16s') as number[] });
      }
      return a;
    }
    case 'versions': {
      const n = r.count(6);
      const a: CommandVersion[] = [];
      for (let i = 0; i < n; i++) a.push({ key: r.u16(), minVersion: r.u16(), maxVersion: r.u16() });
      return a;
    }
    case 'stats': {
      const n = r.count(10);
      const m: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const key = r.str();
        const v = r.i64();
        if (key !== '__proto__') m[key] = v;
      }
      return m;
    }
    case 'rest':
      return r.rest();
  }
}

/** Writes one field of kind `k`. */
export function writeKind(w: Writer, k: Kind, v: unknown): void {
  switch (k) {
    case 'u8':
      w.u8(v as number);
      return;
    case 'u16':
      w.u16(v as number);
      return;
    case 'i16':
      w.i16(v as number);
      return;
    case 'u32':
      w.u32(v as number);
      return;
    case 'u64':
      w.u64(v as number);
      return;
    case 'i64':
      w.i64(v as number);
      return;
    case 'string':
    case 'nstring':
      writeString(w, v as string | null);
      return;
    case 'bytes':
      writeBytes(w, v as Buffer | null);
      return;
    case 'strings':
      w.u32((v as string[]).length);
      for (const s of v as string[]) writeString(w, s);
      return;
    case 'props':
      writeProps(w, v as Record<string, string>);
      return;
    case 'optProps':
      if (v !== undefined) writeProps(w, v as Record<string, string>);
      return;
    case 'optBytes':
      if (v !== undefined) writeBytes(w, v as Buffer);
      return;
    case 'u64s':
      w.u32((v as number[]).length);
      for (const x of v as number[]) w.u64(x);
      return;
    case 'u16s':
      w.u32((v as number[]).length);
      for (const x of v as number[]) w.u16(x);
      return;
    case 'offsetSpec':
      writeOffsetSpec(w, v as OffsetSpec);
      return;
    case 'published':
    case 'publishedV2':
      w.u32((v as PublishedMessage[]).length);
      for (const m of v as PublishedMessage[]) {
        w.u64(m.publishingId);
        if (k === 'publishedV2') writeString(w, m.filterValue ?? null);
        writeBytes(w, m.message);
      }
      return;
    case 'publishErrors':
      w.u32((v as Array<{ publishingId: number; code: number }>).length);
      for (const e of v as Array<{ publishingId: number; code: number }>) {
        w.u64(e.publishingId);
        w.u16(e.code);
      }
      return;
    case 'brokers':
      w.u32((v as Broker[]).length);
      for (const b of v as Broker[]) {
        w.u16(b.reference);
        writeString(w, b.host);
        w.u32(b.port);
      }
      return;
    case 'streamMetadata':
      w.u32((v as StreamMetadata[]).length);
      for (const s of v as StreamMetadata[]) {
        writeString(w, s.stream);
        w.u16(s.responseCode);
        w.u16(s.leaderReference);
        writeKind(w, 'u16s', s.replicasReferences);
      }
      return;
    case 'versions':
      w.u32((v as CommandVersion[]).length);
      for (const c of v as CommandVersion[]) {
        w.u16(c.key);
        w.u16(c.minVersion);
        w.u16(c.maxVersion);
      }
      return;
    case 'stats': {
      const m = v as Record<string, number>;
      const keys = Object.keys(m);
      w.u32(keys.length);
      for (const key of keys) {
        writeString(w, key);
        w.i64(m[key]!);
      }
      return;
    }
    case 'rest':
      w.bytes(v as Buffer);
  }
}
