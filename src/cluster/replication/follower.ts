// The replication follower: keeps a byte-identical copy of the leader's data directory in `dataDir`, so
// that when the leader is gone this directory opens as a broker (recovery as after a restart) with every
// confirmed message in it. It connects to the leader's cluster port, proves the shared secret, sends what
// it holds (manifest.ts), applies the leader's actions (follower-files.ts) and acknowledges each group
// fsync. On a lost connection it reconnects every second and resumes from what is on its disk.
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Logger } from '../../util/logger.js';
import { FollowerFiles, type Divergence } from './follower-files.js';
import { proof } from './leader-session.js';
import { manifest } from './manifest.js';
import {
  FrameReader,
  T_ACK,
  T_CHALLENGE,
  T_HELLO,
  T_PING,
  T_REFUSED,
  T_SYNCED,
  decodeAction,
  encodeMessage,
  encodeSeq,
} from './protocol.js';

export interface ReplicationFollowerOptions {
  /** The directory to keep the copy in (the follower's own data directory). */
  dataDir: string;
  leader: { host: string; port: number };
  secret: string;
  nodeName: string;
  /** Wait between reconnection attempts (ms). */
  retryMs?: number;
}

const DEAD_MS = 5000;
const SYNC_DEAD_MS = 60_000;

export class ReplicationFollower extends EventEmitter {
  private socket: Socket | null = null;
  private files: FollowerFiles | null = null;
  private closed = false;
  private inSync = false;
  private lastHeard = 0;
  private retry: NodeJS.Timeout | null = null;
  private readonly watchdog: NodeJS.Timeout;

  constructor(
    private readonly o: ReplicationFollowerOptions,
    private readonly logger: Logger,
  ) {
    super();
    this.watchdog = setInterval(() => {
      // the leader pings every second; before the sync ends it may be busy hashing its files
      if (this.socket !== null && Date.now() - this.lastHeard > (this.inSync ? DEAD_MS : SYNC_DEAD_MS)) {
        this.logger.warn({ leader: o.leader }, 'replication: leader silent, reconnecting');
        this.socket.destroy();
      }
    }, 1000);
    this.watchdog.unref();
    this.connect();
  }

  /** The leader's action seq this directory holds on disk (0 until the first sync ends). */
  get position(): number {
    return this.files?.durable ?? 0;
  }

  /** Connected, initial sync done and acknowledged: the directory holds everything the leader confirmed. */
  get synced(): boolean {
    return this.inSync;
  }

  private connect(): void {
    if (this.closed) return;
    const { host, port } = this.o.leader;
    const socket = connect({ host, port });
    this.socket = socket;
    this.lastHeard = Date.now();
    socket.setNoDelay(true);
    const reader = new FrameReader();
    // actions arriving while the manifest is computed wait (the leader sends none before HELLO anyway)
    let busy = false;
    socket.on('data', (chunk: Buffer) => {
      this.lastHeard = Date.now();
      let bodies: Buffer[];
      try {
        bodies = reader.push(chunk);
      } catch (e) {
        return this.fail(socket, e as Error);
      }
      for (const b of bodies) {
        if (busy) return this.fail(socket, new Error('replication: leader sent data before the handshake'));
        if (b[0] === T_CHALLENGE) {
          busy = true;
          this.hello(socket, b.subarray(1)).then(
            () => (busy = false),
            (e: unknown) => this.fail(socket, e as Error),
          );
        } else if (!this.frame(socket, b)) return;
      }
      this.files?.sync();
    });
    socket.on('error', (e) => this.error(e));
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
      if (this.inSync) this.logger.warn({ leader: this.o.leader }, 'replication: connection to the leader lost');
      this.inSync = false;
      if (this.files !== null) this.carried = this.files.carry();
      this.files?.close();
      this.files = null;
      if (!this.closed) this.retry = setTimeout(() => this.connect(), this.o.retryMs ?? 1000);
    });
  }

  private async hello(socket: Socket, nonce: Buffer): Promise<void> {
    const files = await manifest(this.o.dataDir);
    if (this.closed || socket.destroyed) return;
    this.files = new FollowerFiles(
      this.o.dataDir,
      (seq) => {
        // nothing is acknowledged before the whole initial sync is on disk
        if (socket.destroyed || this.files?.syncDurable !== true) return;
        socket.write(encodeSeq(T_ACK, seq));
        if (!this.inSync && this.syncSeq >= 0 && seq >= this.syncSeq) {
          this.inSync = true;
          this.logger.info({ leader: this.o.leader, seq }, 'replication: in sync with the leader');
          this.emit('synced', seq);
        }
      },
      (d: Divergence) => {
        this.logger.warn(
          { file: d.path, had: d.had, leader: d.leader },
          'replication: truncating records the leader does not have (never confirmed: a former leader)',
        );
        this.emit('diverged', d);
      },
      (e) => this.fail(socket, e),
      this.carried,
    );
    this.syncSeq = -1;
    socket.write(encodeMessage(T_HELLO, { node: this.o.nodeName, proof: proof(this.o.secret, nonce), files }));
  }

  private syncSeq = -1;
  /** Written by an earlier connection but not known to be fsynced (FollowerFiles.carry). */
  private carried: { files: string[]; dirs: string[] } = { files: [], dirs: [] };

  /** One frame from the leader; false when the connection was given up. */
  private frame(socket: Socket, b: Buffer): boolean {
    const files = this.files;
    const t = b[0]!;
    if (t === T_REFUSED) {
      this.logger.error({ leader: this.o.leader, why: b.toString('utf8', 1) }, 'replication: the leader refused us');
      this.error(new Error(`replication refused by the leader: ${b.toString('utf8', 1)}`));
      return false;
    }
    if (t === T_PING) {
      // an ACK only once the initial sync has ended (SYNCED applied); before, a PING back says we are alive
      if (files !== null && files.syncDurable) socket.write(encodeSeq(T_ACK, files.durable));
      else socket.write(encodeSeq(T_PING, 0));
      return true;
    }
    if (files === null) {
      this.fail(socket, new Error('replication: action before the handshake'));
      return false;
    }
    if (t === T_SYNCED) {
      this.syncSeq = b.readDoubleLE(1);
      files.reached(this.syncSeq);
      return true;
    }
    try {
      files.apply(decodeAction(b));
    } catch (e) {
      this.fail(socket, e as Error);
      return false;
    }
    return true;
  }

  private fail(socket: Socket, e: Error): void {
    this.logger.error({ err: e }, 'replication: giving up this connection (resuming from disk)');
    this.error(e);
    socket.destroy();
  }

  /** 'error' for whoever listens (an EventEmitter throws an error no one listens to). */
  private error(e: Error): void {
    if (this.listenerCount('error') !== 0) this.emit('error', e);
  }

  /** Stop following (the directory stays as it is: open it as a broker). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    if (this.retry !== null) clearTimeout(this.retry);
    const s = this.socket;
    if (s !== null && !s.destroyed) {
      await new Promise<void>((r) => {
        s.once('close', () => r());
        s.destroy();
      });
    }
    this.files?.close();
    this.files = null;
  }
}
