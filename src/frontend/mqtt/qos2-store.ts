// MQTT QoS 2 session state (§4.3.3, §4.4): the packet ids of QoS 2 PUBLISHes received and PUBRECed but not
// yet PUBRELeased (a PUBLISH with such an id is not routed again), the ids of QoS 2 deliveries PUBRECed by
// the client whose PUBREL awaits PUBCOMP (re-sent on reconnect, [MQTT-4.4.0-1]), and, in memory only, the
// QoS 2 deliveries sent but not yet PUBRECed when the connection went (re-sent with their packet ids).
//
// A clean session keeps this on its connection. A persistent one keeps it here, by vhost and client id, so
// a reconnect finds it; with storage 'file' the two id sets are written to mqtt_qos2.json in the data
// directory (temp file, fsync, rename; coalesced), and a PUBREC waits until the write that holds its id
// is on disk, so a broker restart between PUBREC and PUBREL cannot route a re-sent PUBLISH twice. The
// file is small: a few ids per session with QoS 2 traffic in flight.
import { readJsonFile, writeJsonFile } from '../../util/json-file.js';
import { join } from 'node:path';
import type { QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import type { Logger } from '../../util/logger.js';

/** A QoS 2 delivery sent and not PUBRECed when its connection closed (re-sent on resume, same id). */
export interface Qos2Parked {
  readonly id: number;
  readonly entry: QueuedMessage;
  readonly queue: Queue;
}

export class Qos2State {
  /** Inbound: ids PUBRECed, awaiting PUBREL. */
  readonly incoming = new Set<number>();
  /** Outbound: ids PUBRELed, awaiting PUBCOMP. */
  readonly released = new Set<number>();
  /** Outbound, memory only: deliveries awaiting PUBREC when the connection closed. */
  parked: Qos2Parked[] = [];
  /** A stored session's end: its last disconnect plus its expiry interval (ms since the epoch). */
  expiresAt = Infinity;
  /** Its key in the store (set when stored). */
  key = '';

  get empty(): boolean {
    return this.incoming.size === 0 && this.released.size === 0 && this.parked.length === 0;
  }
}

/** The broker's store of persistent sessions' QoS 2 state (memory; FileQos2Store for storage 'file'). */
export class Qos2Store {
  protected readonly sessions = new Map<string, Qos2State>();
  /** Changes made so far, and how many of them are on disk (a PUBREC waits for its change). */
  gen = 0;
  written = 0;
  private waiters: { gen: number; cb: () => void }[] = [];

  /** The stored state of a session, if it has one that has not expired. */
  get(key: string, now: number): Qos2State | undefined {
    const st = this.sessions.get(key);
    if (st !== undefined && st.expiresAt <= now) {
      this.sessions.delete(key);
      this.changed();
      return undefined;
    }
    return st;
  }

  set(key: string, st: Qos2State): void {
    st.key = key;
    this.sessions.set(key, st);
    if (!st.empty) this.changed();
    this.sweep(Date.now());
  }

  /** When expired sessions were last looked for. */
  private swept = 0;

  /**
   * Drop the sessions that have expired (at most once a minute, from set): `get` drops one only when its
   * client comes back, so without this the state of every client that never did stayed for good (fuzzing:
   * thousands of random client ids).
   */
  private sweep(now: number): void {
    if (now - this.swept < 60000) return;
    this.swept = now;
    for (const [key, st] of this.sessions) if (st.expiresAt <= now) this.delete(key);
  }

  /** The session ends (clean start, expiry): its state goes; parked deliveries go back to their queues. */
  delete(key: string): void {
    const st = this.sessions.get(key);
    if (st === undefined) return;
    this.sessions.delete(key);
    const written = st.incoming.size !== 0 || st.released.size !== 0;
    requeueParked(st);
    if (written) this.changed();
  }

  /**
   * Queue -> the stored sessions that parked deliveries from it (a shared subscription's queue: any of them), so
   * that a deleted queue's are found without testing every stored session: the MQTT fuzz run's thousands of
   * stored sessions were tested on each delete of a shared subscription's queue (5% of its broker's CPU).
   */
  private readonly parkedFrom = new Map<Queue, Set<string>>();

  /** A stored session's QoS 2 delivery, sent and not PUBRECed when its connection closed. */
  park(st: Qos2State, p: Qos2Parked): void {
    st.parked.push(p);
    let keys = this.parkedFrom.get(p.queue);
    if (keys === undefined) this.parkedFrom.set(p.queue, (keys = new Set()));
    keys.add(st.key);
  }

  /**
   * Queue `q` was deleted: parked deliveries from it are dead, and held the queue, its timers and the messages'
   * bodies for the rest of the session's life (a day for MQTT 3.1.1): the MQTT fuzzer's live memory grew with
   * every session whose queues its cleanup deleted. A state left empty goes, unless its client is connected
   * (the connection stores it again when it closes).
   */
  dropParked(q: Queue, connected: (key: string) => boolean): void {
    const keys = this.parkedFrom.get(q);
    if (keys === undefined) return;
    this.parkedFrom.delete(q);
    for (const key of keys) {
      const st = this.sessions.get(key);
      if (st === undefined || !st.parked.some((p) => p.queue === q)) continue;
      st.parked = st.parked.filter((p) => p.queue !== q);
      if (st.empty && !connected(key)) this.delete(key);
    }
  }

  /** A stored session's ids changed: returns the generation a PUBREC has to wait for. */
  changed(): number {
    return this.gen;
  }

  /** Run `cb` once change `gen` is on disk (at once when it is). */
  whenWritten(gen: number, cb: () => void): void {
    if (gen <= this.written) cb();
    else this.waiters.push({ gen, cb });
  }

  protected wrote(gen: number): void {
    this.written = gen;
    const w = this.waiters;
    if (w.length === 0) return;
    this.waiters = [];
    for (const x of w) {
      if (x.gen <= gen) x.cb();
      else this.waiters.push(x);
    }
  }

  async close(): Promise<void> {}
}

/** Parked QoS 2 deliveries back to their queues (redelivered), if those still exist. */
export function requeueParked(st: Qos2State): void {
  for (const p of st.parked) p.queue.requeue([p.entry]);
  st.parked = [];
}

interface StoredFile {
  version: 1;
  sessions: Record<string, { in: number[]; rel: number[]; expiresAt: number | null }>;
}

export class FileQos2Store extends Qos2Store {
  private scheduled = false;
  private closing = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {
    super();
  }

  static async open(dataDir: string, log: Logger): Promise<FileQos2Store> {
    const s = new FileQos2Store(join(dataDir, 'mqtt_qos2.json'), log);
    const data = await readJsonFile<StoredFile>(s.file);
    if (data !== null) {
      for (const [key, v] of Object.entries(data.sessions)) {
        const st = new Qos2State();
        for (const id of v.in) st.incoming.add(id);
        for (const id of v.rel) st.released.add(id);
        st.expiresAt = v.expiresAt ?? Infinity;
        s.sessions.set(key, st);
      }
    }
    return s;
  }

  // Coalesced per event-loop turn (not over a timer like the retained store): a PUBREC waits for it.
  override changed(): number {
    const g = ++this.gen;
    if (!this.scheduled && !this.closing) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (!this.closing) this.writing = this.writing.then(() => this.write());
      });
    }
    return g;
  }

  private async write(): Promise<void> {
    const g = this.gen;
    if (g === this.written) return;
    const data: StoredFile = { version: 1, sessions: {} };
    for (const [key, st] of this.sessions) {
      if (st.incoming.size === 0 && st.released.size === 0) continue;
      data.sessions[key] = {
        in: [...st.incoming],
        rel: [...st.released],
        expiresAt: st.expiresAt === Infinity ? null : st.expiresAt,
      };
    }
    try {
      await writeJsonFile(this.file, data);
    } catch (e) {
      this.log.error({ err: e }, 'could not write MQTT QoS 2 session state');
    }
    this.wrote(g);
  }

  /** The last write, once the connections are closed (MqttServer.close); later changes are not written. */
  override async close(): Promise<void> {
    this.closing = true;
    await this.writing;
    await this.write();
  }
}
