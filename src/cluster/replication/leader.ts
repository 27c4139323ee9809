// The replication leader: a listener on the cluster port that followers connect to, the source of the
// actions they apply (leader-files.ts, fed by storage's file events), and the confirm gate the message
// store consults (storage/confirm-gate.ts): a publisher confirm, a tx.commit-ok, an MQTT PUBACK for a
// persistent message and a stream confirm all go out once the local fsync is done AND `requiredAcks`
// followers have acknowledged every action up to the one current at that fsync.
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import type { Broker } from '../../core/broker.js';
import type { ConfirmGate } from '../../storage/confirm-gate.js';
import { FileMessageStore } from '../../storage/message-store.js';
import { observeFiles } from '../../util/file-events.js';
import type { Logger } from '../../util/logger.js';
import { LeaderFiles } from './leader-files.js';
import { FollowerSession, type SessionHost } from './leader-session.js';

export interface ReplicationLeaderOptions {
  /** The cluster port (0: any free port; `port` tells which). */
  port: number;
  host?: string;
  /** The shared secret followers prove (cluster-secret.ts). */
  secret: string;
  /** Confirms wait for this many followers (floor(n/2) in an n-node cluster); 0, the default: none. */
  requiredAcks?: number;
}

export interface FollowerInfo {
  name: string;
  /** The last action seq the follower has on disk. */
  position: number;
  /** Bytes of actions it has not acknowledged yet (and of the initial sync still to send). */
  lagBytes: number;
  /** It has acknowledged the end of its initial sync: it holds everything confirmed. */
  inSync: boolean;
}

/** What the leader needs of a running broker (`startBroker()`'s result has it). */
export interface LeaderBroker {
  broker: Broker;
  options: { dataDir: string; storage: string };
}

const PING_MS = 1000;
const DEAD_MS = 5000;
const SYNC_DEAD_MS = 60_000;

export class ReplicationLeader extends EventEmitter implements ConfirmGate, SessionHost {
  required = 0;
  readonly dir: string;
  readonly files: LeaderFiles;
  readonly sessions = new Set<FollowerSession>();
  port = 0;
  private server: Server | null = null;
  private readonly stopObserving: () => void;
  private readonly timer: NodeJS.Timeout;
  private readonly store: FileMessageStore;
  /** Confirms held: ticket, then the action seq followers must reach, in ticket order from `head`. */
  private held: number[] = [];
  private head = 0;
  private release: ((ticket: number) => void) | null = null;

  private constructor(
    running: LeaderBroker,
    readonly secret: string,
    readonly logger: Logger,
  ) {
    super();
    const store = running.broker.store;
    if (running.options.storage !== 'file' || !(store instanceof FileMessageStore)) {
      throw new Error('replication needs file storage (storage: "file")');
    }
    this.store = store;
    this.dir = resolve(running.options.dataDir);
    this.files = new LeaderFiles(
      this.dir,
      (frame, seq) => {
        for (const s of this.sessions) s.action(frame, seq);
      },
      () => this.sessions.size !== 0,
      () => this.replicated(),
      (path, e) => this.readFailed(path, e),
    );
    this.stopObserving = observeFiles(this.dir, this.files);
    store.confirms.gate = this;
    this.timer = setInterval(() => this.tick(), PING_MS);
    this.timer.unref();
  }

  static async start(running: LeaderBroker, o: ReplicationLeaderOptions, logger: Logger): Promise<ReplicationLeader> {
    if (!o.secret) throw new Error('replication needs a cluster secret');
    const l = new ReplicationLeader(running, o.secret, logger);
    l.required = o.requiredAcks ?? 0;
    const server = createServer((socket) => l.sessions.add(new FollowerSession(socket, l)));
    l.server = server;
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(o.port, o.host ?? '0.0.0.0', () => ok());
      });
    } catch (e) {
      l.stop();
      throw e;
    }
    const a = server.address();
    l.port = typeof a === 'object' && a !== null ? a.port : o.port;
    return l;
  }

  isGone(path: string): boolean {
    return this.files.isGone(path);
  }

  get seq(): number {
    return this.files.seq;
  }

  get bytes(): number {
    return this.files.bytes;
  }

  followers(): FollowerInfo[] {
    const out: FollowerInfo[] = [];
    for (const s of this.sessions) {
      if (s.state === 'auth' || s.state === 'closed') continue;
      out.push({ name: s.name, position: s.acked, lagBytes: s.lagBytes, inSync: s.inSync });
    }
    return out;
  }

  /**
   * Confirms wait for `n` followers from now on (held ones are re-checked: fewer may release them). With
   * `voters`, only followers of those names count (the cluster's in-sync set as etcd records it: a
   * follower still shipping but out of the set must not stand in for a member's ack); without, any follower
   * in sync counts (replication used on its own). Both change together, so a confirm is never released by a
   * count taken over one set against a requirement computed for another.
   */
  setRequiredAcks(n: number, voters?: Iterable<string> | null): void {
    this.required = Math.max(0, Math.floor(n));
    if (voters !== undefined) this.voters = voters === null ? null : new Set(voters);
    this.check();
  }

  /** Names whose acks count (null: any follower in sync). */
  private voters: Set<string> | null = null;
  private lastReadWarning = 0;

  /** A changed file the leader could not read (its disk fails): said, at most once a second. */
  private readFailed(path: string, e: unknown): void {
    const now = Date.now();
    if (now - this.lastReadWarning < 1000) return;
    this.lastReadWarning = now;
    this.logger.warn({ err: e, path }, 'replication: cannot read a changed file; it goes whole with its next change');
  }

  // ---- ConfirmGate ---------------------------------------------------------------------------------

  mark(): number {
    return this.files.seq;
  }

  hold(ticket: number, mark: number, release: (ticket: number) => void): void {
    this.release = release;
    this.held.push(ticket, mark);
    this.check();
  }

  /** Resolves once `required` followers have every action so far (state files a reply waits for). */
  private replicated(): Promise<void> | null {
    if (this.required === 0) return null;
    return new Promise((resolve) => {
      this.waits.push({ seq: this.files.seq, resolve });
      this.check();
    });
  }

  private waits: { seq: number; resolve: () => void }[] = [];

  private check(): void {
    if (this.waits.length !== 0) {
      const w = this.waits;
      let i = 0;
      while (i < w.length && (this.required === 0 || this.count(w[i]!.seq) >= this.required)) w[i++]!.resolve();
      if (i !== 0) this.waits = w.slice(i);
    }
    const h = this.held;
    const release = this.release;
    if (release === null) return;
    while (this.head < h.length && (this.required === 0 || this.count(h[this.head + 1]!) >= this.required)) {
      const ticket = h[this.head]!;
      this.head += 2;
      release(ticket);
    }
    if (this.head === h.length) {
      this.held = [];
      this.head = 0;
    }
  }

  /**
   * Followers in sync with every action up to `seq` on disk, each name once (a follower that reconnected
   * may have its old session still open until the leader notices it is dead), and among the voters when
   * there are some.
   */
  private count(seq: number): number {
    const v = this.voters;
    let n = 0;
    let counted: string[] | null = null;
    for (const s of this.sessions) {
      if (!s.inSync || s.acked < seq || (v !== null && !v.has(s.name))) continue;
      if (counted !== null && counted.includes(s.name)) continue;
      (counted ??= []).push(s.name);
      n++;
    }
    return n;
  }

  // ---- SessionHost ---------------------------------------------------------------------------------

  joined(s: FollowerSession): void {
    this.logger.info({ follower: s.name, from: s.socket.remoteAddress }, 'replication: follower connected');
  }

  acked(s: FollowerSession): void {
    if (s.inSync && !this.announced.has(s)) {
      this.announced.add(s);
      this.logger.info({ follower: s.name }, 'replication: follower in sync');
      this.emit('follower-in-sync', s.name);
    }
    this.check();
  }

  private readonly announced = new WeakSet<FollowerSession>();

  left(s: FollowerSession): void {
    this.sessions.delete(s);
    this.logger.warn({ follower: s.name }, 'replication: follower lost');
    // a follower that reconnected may be in sync on its new session before the leader notices the old one
    // is gone: that one's end does not take it out (its 'follower-in-sync' was said once, for the new one)
    for (const o of this.sessions) if (o.name === s.name && o.inSync) return;
    this.emit('follower-lost', s.name);
  }

  private tick(): void {
    const now = Date.now();
    for (const s of this.sessions) {
      // before its sync ends a follower may be busy (hashing its files for the manifest)
      if (now - s.lastHeard > (s.inSync ? DEAD_MS : SYNC_DEAD_MS)) {
        this.logger.warn({ follower: s.name }, 'replication: follower silent, dropped');
        s.close();
      } else s.ping();
    }
  }

  private stop(): void {
    clearInterval(this.timer);
    this.stopObserving();
    // a leader that stops (lost its lease, shut down) confirms nothing more: what it holds stays held, and
    // so does every later confirm of this broker (setRequiredAcks(0) first to go back to a single node)
    if (this.required !== 0) this.required = Infinity;
    else if (this.store.confirms.gate === this) this.store.confirms.gate = null;
  }

  async close(): Promise<void> {
    this.stop();
    for (const s of this.sessions) s.close();
    this.sessions.clear();
    const server = this.server;
    if (server !== null) await new Promise<void>((r) => server.close(() => r()));
  }
}
