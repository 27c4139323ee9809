// Dead-lettering's AMQP headers, as RabbitMQ writes them (rabbit_dead_letter:make_msg/5 and
// update_x_death_header/2, 3.10; x-last-death-* from 3.13):
// - x-death is an array of tables, most recent first, one per (queue, reason, exchange): a repeat death
//   increments that entry's `count` (long) and moves it to the front; a first death gets a new entry.
//   A new entry is count, reason, queue, time (timestamp, seconds), exchange, routing-keys (array of
//   longstr: the routing key and CC), original-expiration (only when the message had an expiration);
//   when x-death already existed, the new or updated entry is written with its keys sorted.
// - The first death also sets x-first-death-reason, -queue and -exchange; every death sets x-last-death-*.
// - BCC is removed and so is the expiration property; the header table comes out sorted by key.
// Untouched headers and x-death entries are copied as raw bytes, so their wire types are kept.
import {
  arrayItems,
  body,
  headersSpan,
  rawArray,
  rawTable,
  rawValue,
  rewriteProps,
  scratch,
  sortEntries,
  tableEntries,
  type RawEntry,
} from '../../codec/amqp/raw-table.js';
import { decodeTable, Timestamp, Typed } from '../../codec/amqp/field-table.js';
import type { DeathEvent } from '../../core/message.js';

function str(raw: Buffer | undefined): string | null {
  if (raw === undefined || raw[0] !== 0x53) return null;
  return raw.toString('utf8', 5, 5 + raw.readUInt32BE(1));
}

function entryOf(entries: RawEntry[], key: string): Buffer | undefined {
  for (const e of entries) if (e.key === key) return e.raw;
  return undefined;
}

/** A longstr field value ('S'), built directly (dead-lettering runs per expired message: keep it cheap). */
function rawStr(s: string): Buffer {
  const n = Buffer.byteLength(s);
  const b = Buffer.allocUnsafe(5 + n);
  b[0] = 0x53;
  b.writeUInt32BE(n, 1);
  b.write(s, 5);
  return b;
}

function newDeath(d: DeathEvent): RawEntry[] {
  const e: RawEntry[] = [
    { key: 'count', raw: rawValue(new Typed('l', 1)) },
    { key: 'reason', raw: rawStr(d.reason) },
    { key: 'queue', raw: rawStr(d.queue) },
    { key: 'time', raw: rawValue(new Timestamp(d.time)) },
    { key: 'exchange', raw: rawStr(d.exchange) },
    { key: 'routing-keys', raw: rawArray(d.routingKeys.map(rawStr)) },
  ];
  if (d.originalExpiration !== null) e.push({ key: 'original-expiration', raw: rawStr(d.originalExpiration) });
  return e;
}

/** The first x-death of a message: one array with one table, written in one go. */
function firstDeath(d: DeathEvent): Buffer {
  const w = scratch;
  w.u8(0x41);
  w.u32(0);
  w.u8(0x46);
  w.u32(0);
  w.shortstr('count');
  w.u8(0x6c);
  w.i64(1);
  w.shortstr('reason');
  w.u8(0x53);
  w.longstr(d.reason);
  w.shortstr('queue');
  w.u8(0x53);
  w.longstr(d.queue);
  w.shortstr('time');
  w.u8(0x54);
  w.u64(d.time);
  w.shortstr('exchange');
  w.u8(0x53);
  w.longstr(d.exchange);
  w.shortstr('routing-keys');
  w.u8(0x41);
  const rkAt = w.pos - w.start;
  w.u32(0);
  for (const k of d.routingKeys) {
    w.u8(0x53);
    w.longstr(k);
  }
  const rkEnd = w.pos - w.start;
  if (d.originalExpiration !== null) {
    w.shortstr('original-expiration');
    w.u8(0x53);
    w.longstr(d.originalExpiration);
  }
  const out = Buffer.from(w.take()!);
  out.writeUInt32BE(out.length - 5, 1);
  out.writeUInt32BE(out.length - 10, 6);
  out.writeUInt32BE(rkEnd - rkAt - 4, rkAt);
  return out;
}

/** increment_xdeath_event_count/1: count + 1 as a long (a missing or odd count starts again at 1). */
function incremented(entries: RawEntry[]): RawEntry[] {
  const c = entryOf(entries, 'count');
  let n = 1;
  if (c !== undefined) {
    const t1 = rawTable([{ key: 'c', raw: c }], false);
    const t = decodeTable(t1, 4, t1.length - 4)['c'];
    if (typeof t === 'number') n = t + 1;
  }
  const out = entries.filter((e) => e.key !== 'count');
  out.push({ key: 'count', raw: rawValue(new Typed('l', n)) });
  return out;
}

export function deadLetterProps(props: Buffer, d: DeathEvent): Buffer {
  const span = headersSpan(props);
  let headers = span === null ? [] : tableEntries(props, span[0], span[1]);
  headers = headers.filter((e) => e.key !== 'BCC');
  const xd = entryOf(headers, 'x-death');
  const rest = headers.filter((e) => e.key !== 'x-death');
  let deaths: Buffer;
  if (xd === undefined || xd[0] !== 0x41) {
    deaths = firstDeath(d);
    const firsts: [string, string][] = [
      ['x-first-death-exchange', d.exchange],
      ['x-first-death-queue', d.queue],
      ['x-first-death-reason', d.reason],
    ];
    for (const [k, v] of firsts) {
      if (entryOf(rest, k) === undefined) rest.push({ key: k, raw: rawStr(v) });
    }
  } else {
    const items = arrayItems(body(xd), 0, body(xd).length);
    let match = -1;
    for (let i = 0; i < items.length && match < 0; i++) {
      const it = items[i]!;
      if (it[0] !== 0x46) continue;
      const es = tableEntries(body(it), 0, body(it).length);
      if (
        str(entryOf(es, 'queue')) === d.queue &&
        str(entryOf(es, 'reason')) === d.reason &&
        str(entryOf(es, 'exchange')) === d.exchange
      ) {
        match = i;
      }
    }
    let first: Buffer;
    if (match < 0) first = rawTable(sortEntries(newDeath(d)), true);
    else {
      const it = items[match]!;
      first = rawTable(sortEntries(incremented(tableEntries(body(it), 0, body(it).length))), true);
      items.splice(match, 1);
    }
    deaths = rawArray([first, ...items]);
  }
  rest.push({ key: 'x-death', raw: deaths });
  // RabbitMQ 3.13+: the most recent death, for consumers that must not walk x-death
  const lasts: [string, string][] = [
    ['x-last-death-exchange', d.exchange],
    ['x-last-death-queue', d.queue],
    ['x-last-death-reason', d.reason],
  ];
  const out = rest.filter((e) => !e.key.startsWith('x-last-death-'));
  for (const [k, v] of lasts) out.push({ key: k, raw: rawStr(v) });
  return rewriteProps(props, rawTable(sortEntries(out), false), true);
}

/** The properties with one long header set (x-delivery-count), other headers kept as they are. */
export function withLongHeader(props: Buffer, key: string, value: number): Buffer {
  const span = headersSpan(props);
  const headers = span === null ? [] : tableEntries(props, span[0], span[1]).filter((e) => e.key !== key);
  headers.push({ key, raw: rawValue(new Typed('l', value)) });
  return rewriteProps(props, rawTable(headers, false), false);
}
