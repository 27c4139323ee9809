// The cluster node's log shipping: `Replication` (replication-link.ts) over src/cluster/replication/.
// The leader's confirm gate gets one more condition: the lease (NodeLease.valid). A leader paused past its
// lease reads its sockets before any timer runs when it is resumed, so the follower acks in that read could
// release confirms before the lease watchdog steps it down; the wrapper asks the lease at each release.
import type { Etcd3 } from 'etcd3';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { writeJsonFile } from '../util/json-file.js';
import type { ConfirmGate } from '../storage/confirm-gate.js';
import { FileMessageStore } from '../storage/message-store.js';
import type { ClusterKeys } from './config.js';
import type { Replication } from './replication-link.js';
import { clusterSecret, startReplicationFollower, startReplicationLeader } from './replication/index.js';

export function logShipping(secret: string): Replication {
  return {
    shipsData: true,
    async leader(ctx) {
      const host = ctx.bind[0] === undefined || ctx.bind[0] === '::' ? '::' : ctx.bind[0];
      // confirm nothing until the in-sync set has said how many acks it needs (isr.ts start)
      const l = await startReplicationLeader(
        ctx.running,
        { port: ctx.port, host, secret, requiredAcks: Infinity },
        ctx.log,
      );
      // The data directory records which leadership last wrote it. It is also the new leader's first shipped
      // action: a follower acknowledges its initial sync by acknowledging an action at or past it, and a
      // leader that has written nothing yet has none to acknowledge (it would never count as in sync).
      const epochFile = join(ctx.running.options.dataDir, 'cluster-epoch.json');
      writeJsonFile(epochFile, { leader: ctx.nodeName, epoch: ctx.epoch, since: new Date().toISOString() }).catch(
        (e: Error) => ctx.log.warn(`cluster: ${epochFile}: ${e.message}`),
      );
      const store = ctx.running.broker.store;
      if (store instanceof FileMessageStore && store.confirms.gate === l) {
        const inner: ConfirmGate = l;
        const valid = ctx.leaseValid;
        store.confirms.gate = {
          // never 0: even a leader that needs no follower asks the lease before each release
          get required() {
            return inner.required === 0 ? 1 : inner.required;
          },
          mark: () => inner.mark(),
          hold(ticket, mark, release) {
            if (inner.required === 0) {
              if (valid()) release(ticket);
              return;
            }
            inner.hold(ticket, mark, (t) => {
              if (valid()) release(t);
            });
          },
        };
      }
      return {
        onFollower(fn) {
          l.on('follower-in-sync', (name: string) => fn(name, true));
          l.on('follower-lost', (name: string) => fn(name, false));
        },
        connected: (name) => l.followers().some((f) => f.name === name),
        setRequiredAcks: (n, voters) => l.setRequiredAcks(n, voters),
        close: () => l.close(),
      };
    },
    follower(ctx) {
      const f = startReplicationFollower(
        {
          dataDir: ctx.dataDir,
          leader: { host: ctx.leader.host, port: ctx.leader.port },
          secret,
          nodeName: ctx.nodeName,
          // a new leader opens its cluster port ~0.1 s after winning: retry soon (failover waits for this)
          retryMs: 100,
        },
        ctx.log,
      );
      f.on('error', (e: Error) => ctx.log.warn(`cluster: replication from ${ctx.leader.name}: ${e.message}`));
      return Promise.resolve({ close: () => f.close() });
    },
  };
}

/**
 * The shared secret: `--cluster-secret` / WARREN_CLUSTER_SECRET / ~/.warren.cookie, else the cluster's own in
 * etcd (`warren/<cluster>/secret`, created once by the first node; whoever may read etcd is trusted, as
 * LavinMQ keeps its clustering secret there).
 */
export async function resolveSecret(option: string | undefined, client: Etcd3, keys: ClusterKeys): Promise<string> {
  const own = clusterSecret(option);
  if (own !== null) return own;
  const key = keys.prefix + 'secret';
  const fresh = randomBytes(24).toString('base64url');
  await client.if(key, 'Create', '==', 0).then(client.put(key).value(fresh)).commit();
  const s = await client.get(key).string();
  if (s === null) throw new Error('cluster secret missing in etcd');
  return s;
}
