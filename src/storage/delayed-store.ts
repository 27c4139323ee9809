// The delayed-message store of the file storage: pending messages of durable delayed exchanges, so they
// survive a restart, in an AppendLog (delayed.log: add and remove records), replayed and compacted at
// start and while running (once the log holds more than COMPACT_MIN bytes and twice the live records:
// without that it grew by every delayed message's body for as long as the broker ran, and was read whole
// at the next start; the soak found it). A publisher confirm (and an MQTT PUBACK, a STOMP RECEIPT) for a
// message held here waits until its record is on disk: each add takes a message-store ticket (`touch`),
// and the message store's group commit writes and fsyncs this log first (`flush`, from beforeSync). A
// remove record is written only after the fsync that stored the released message in its queues
// (`afterDurable`): before, it could reach the disk first, and a kill -9 in between lost the message. Small
// on purpose: the segment log can take these records over later behind the same DelayedStore interface.
import { readFileSync } from './io.js';
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import { DelayedExchange, type DelayedRecord, type DelayedStore } from '../core/exchange/delayed.js';
import { formatByName } from '../core/formats.js';
import { Message } from '../core/message.js';
import type { Logger } from '../util/logger.js';
import { AppendLog } from './append-log.js';

/** The log is compacted once it holds more than this and more than twice its live records. */
export const COMPACT_MIN = 4 * 1024 * 1024;

interface StoredMessage {
  format: string;
  exchange: string;
  routingKey: string;
  props: string;
  body: string;
  persistent: boolean;
  priority: number;
  expiration: string | null;
  timestamp: number;
  cc?: readonly string[] | null;
  bcc?: readonly string[] | null;
}

type AddLine = { op: 'add'; id: string; vhost: string; exchange: string; due: number; m: StoredMessage };
type LogLine = AddLine | { op: 'del'; id: string };

function toStored(m: Message): StoredMessage {
  return {
    format: m.format.name,
    exchange: m.exchange,
    routingKey: m.routingKey,
    props: m.props.toString('base64'),
    body: m.body.toString('base64'),
    persistent: m.persistent,
    priority: m.priority,
    expiration: m.expiration,
    timestamp: m.timestamp,
    cc: m.cc,
    bcc: m.bcc,
  };
}

export class FileDelayedStore implements DelayedStore {
  /** Live records' line sizes by id (what compaction keeps); the log's size since it was last rewritten. */
  private readonly live = new Map<string, number>();
  private liveBytes = 0;
  private logBytes = 0;
  /** Takes a message-store ticket, so confirms wait for the group commit that flushes this log. */
  touch: (() => void) | null = null;
  /** Runs `fn` after the message store's next fsync (what a released message was routed to is on disk). */
  afterDurable: ((fn: () => void) => void) | null = null;

  private constructor(
    private log: AppendLog,
    private readonly file: string,
    private readonly logger: Logger,
  ) {}

  /** Replay the log into the broker's durable delayed exchanges, compact it, and open it for appends. */
  static restore(dir: string, broker: Broker, log: Logger): FileDelayedStore {
    const file = join(dir, 'delayed.log');
    const live = new Map<string, AddLine>();
    for (const r of AppendLog.read<LogLine>(file, log)) {
      if (r.op === 'add') live.set(r.id, r);
      else live.delete(r.id);
    }
    const kept: { r: AddLine; x: DelayedExchange; msg: Message }[] = [];
    for (const r of live.values()) {
      const x = broker.vhosts.get(r.vhost)?.exchanges.get(r.exchange);
      const format = formatByName(r.m.format);
      if (!(x instanceof DelayedExchange) || !x.durable || format === undefined) continue;
      const m = r.m;
      const msg = new Message(
        format,
        m.exchange,
        m.routingKey,
        Buffer.from(m.props, 'base64'),
        Buffer.from(m.body, 'base64'),
        m.persistent,
        m.priority,
        m.expiration,
        m.timestamp,
        0,
      );
      msg.cc = m.cc ?? null;
      msg.bcc = m.bcc ?? null;
      kept.push({ r, x, msg });
    }
    // the compacted log is complete on disk (temp file, fsync, rename) before anything is held: a crash
    // here loses nothing (it used to be emptied first and the kept records appended after)
    const lines = kept.map((k) => JSON.stringify(k.r));
    const store = new FileDelayedStore(AppendLog.rewriteLines(file, lines, log), file, log);
    for (let i = 0; i < kept.length; i++) store.track(kept[i]!.r.id, lines[i]!.length + 1);
    for (const v of broker.vhosts.values()) v.delayedStore = store;
    for (const k of kept) k.x.hold(k.msg, k.r.due, k.r.id);
    return store;
  }

  add(r: DelayedRecord): void {
    const line = JSON.stringify({
      op: 'add',
      id: r.id,
      vhost: r.vhost,
      exchange: r.exchange,
      due: r.due,
      m: toStored(r.message),
    });
    this.log.appendLine(line);
    this.track(r.id, line.length + 1);
    this.touch?.();
  }

  remove(id: string): void {
    if (!this.live.has(id)) return;
    // a released message is routed right after this: its remove record is written only once the queues'
    // copies are on disk, so a crash in between delivers it again rather than losing it (at least once)
    if (this.afterDurable !== null) this.afterDurable(() => this.removeNow(id));
    else this.removeNow(id);
  }

  private removeNow(id: string): void {
    const n = this.live.get(id);
    if (n === undefined) return;
    this.live.delete(id);
    this.liveBytes -= n;
    const line = JSON.stringify({ op: 'del', id });
    this.log.appendLine(line);
    this.logBytes += line.length + 1;
    if (this.logBytes > COMPACT_MIN && this.logBytes > 2 * this.liveBytes) this.compact();
  }

  /** Write and fsync what was appended (the message store's beforeSync, before the fsync that confirms). */
  flush(): void {
    this.log.flush();
  }

  /** Bytes in delayed.log since it was last rewritten, and of its live records (tests). */
  get sizes(): { log: number; live: number } {
    return { log: this.logBytes, live: this.liveBytes };
  }

  close(): void {
    this.log.close();
  }

  private track(id: string, n: number): void {
    this.live.set(id, n);
    this.liveBytes += n;
    this.logBytes += n;
  }

  /** Rewrite the log with its live add records only (read back from the file: bounded by the rule above). */
  private compact(): void {
    this.log.close();
    const lines: string[] = [];
    let bytes = 0;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      // an add line starts {"op":"add","id":"<id>", as add() writes it
      if (!line.startsWith('{"op":"add","id":"')) continue;
      const id = line.slice(18, line.indexOf('"', 18));
      if (!this.live.has(id)) continue;
      lines.push(line);
      bytes += line.length + 1;
    }
    this.log = AppendLog.rewriteLines(this.file, lines, this.logger);
    this.logBytes = bytes;
    this.logger.debug({ records: lines.length, bytes }, 'delayed message log compacted');
  }
}
