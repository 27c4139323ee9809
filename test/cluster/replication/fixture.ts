// The replication tests' fixture: a leader broker with a replication leader in this process on a fresh
// directory (a), followers on another (b), and the teardown every test needs (what the test deferred, the
// followers, the leader, the broker, both directories), in that order, whether the test passed or not.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import amqp from 'amqplib';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../../src/index.js';
import {
  startReplicationFollower,
  startReplicationLeader,
  type ReplicationFollower,
  type ReplicationLeader,
} from '../../../src/cluster/replication/index.js';
import { manifest } from '../../../src/cluster/replication/manifest.js';
import { createLogger, type Logger } from '../../../src/util/logger.js';
import { eventually } from '../../helpers/broker.js';
import { tempDir } from '../../helpers/warren-child.js';

export const SECRET = 'test-cookie';
export const quiet = createLogger('silent');

/** A file-storage broker on `dir` on ephemeral ports (the leader's, or one opened on a follower's copy). */
export function fileBroker(dir: string, extra: BrokerOptions = {}): Promise<RunningBroker> {
  return startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'file', dataDir: dir, logLevel: 'warn', ...extra });
}

/** A confirm channel's persistent publish to a queue, resolved by its confirm. */
export function publish(ch: amqp.ConfirmChannel, q: string, body: string): Promise<void> {
  return new Promise((resolve, reject) =>
    ch.sendToQueue(q, Buffer.from(body), { persistent: true }, (err) => (err ? reject(err) : resolve())),
  );
}

/** Whether `p` settles within `ms`. */
export const within = (p: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

export interface ReplicationOptions {
  /** tempDir prefix: the directories are PREFIX-a-XXXX and PREFIX-b-XXXX. */
  prefix?: string;
  /** The leader broker's options over fileBroker's. */
  broker?: BrokerOptions;
  requiredAcks?: number;
  /** The replication leader's logger (silent by default). */
  logger?: Logger;
}

export interface Replication {
  /** The leader's data directory. */
  a: string;
  /** The follower's data directory. */
  b: string;
  broker: RunningBroker;
  leader: ReplicationLeader;
  /** The leader broker's AMQP URL. */
  url: string;
  /** A follower 'f' on b (retrying every 100 ms), closed at teardown. */
  follow(secret?: string): ReplicationFollower;
  /** An AMQP connection to the leader broker, closed at teardown (if still open) before the followers. */
  connect(): Promise<amqp.ChannelModel>;
  /** Run `fn` at teardown, before the followers, leader and broker close (the last deferred first). */
  defer(fn: () => unknown): void;
  /** Closes the followers, the leader and the broker (again at teardown: closing twice is harmless). */
  stop(): Promise<void>;
}

/**
 * Both directories hold the same files with the same bytes, once the follower has caught up (and `ready`
 * holds), within `ms`.
 */
export async function sameFiles(
  r: Replication,
  f: ReplicationFollower,
  ms = 10000,
  ready: () => boolean = () => true,
): Promise<void> {
  await eventually(async () => {
    if (!ready() || f.position < r.leader.seq) return false;
    assert.deepEqual(await manifest(r.b), await manifest(r.a));
    return true;
  }, ms);
}

/** Runs `body` with a leader broker and replication leader started, then tears everything down. */
export async function withReplication(o: ReplicationOptions, body: (r: Replication) => Promise<void>): Promise<void> {
  const prefix = o.prefix ?? 'warren-repl';
  const a = tempDir(`${prefix}-a-`);
  const b = tempDir(`${prefix}-b-`);
  const deferred: (() => unknown)[] = [];
  const followers: ReplicationFollower[] = [];
  let broker: RunningBroker | null = null;
  let leader: ReplicationLeader | null = null;
  const stop = async (): Promise<void> => {
    for (const f of followers) await f.close();
    await leader?.close();
    await broker?.close();
  };
  try {
    broker = await fileBroker(a, o.broker);
    leader = await startReplicationLeader(
      broker,
      { port: 0, host: '127.0.0.1', secret: SECRET, requiredAcks: o.requiredAcks ?? 1 },
      o.logger ?? quiet,
    );
    const l = leader;
    const url = `amqp://guest:guest@127.0.0.1:${broker.amqpPort}/`;
    await body({
      a,
      b,
      broker,
      leader: l,
      url,
      follow: (secret = SECRET) => {
        const f = startReplicationFollower(
          { dataDir: b, leader: { host: '127.0.0.1', port: l.port }, secret, nodeName: 'f', retryMs: 100 },
          quiet,
        );
        followers.push(f);
        return f;
      },
      connect: async () => {
        const c = await amqp.connect(url);
        // a connection the test closed itself is not closed again (amqplib throws on that)
        let open = true;
        c.on('close', () => (open = false));
        deferred.push(() => (open ? c.close() : undefined));
        return c;
      },
      defer: (fn) => void deferred.push(fn),
      stop,
    });
  } finally {
    try {
      for (const fn of deferred.reverse()) await fn();
      await stop();
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  }
}
