// One replicated node for benchmarks (issue 14's log shipping, src/cluster/replication/), roles given on the
// command line (no etcd):
//   node dist/bench/cluster/node.js leader --data-dir D --amqp-port 5703 --cluster-port 5710 --required-acks 1
//   node dist/bench/cluster/node.js follower --data-dir D2 --leader 127.0.0.1:5710 [--name f1]
// The secret is WARREN_CLUSTER_SECRET (or "bench"). A leader logs "ready" once it listens; a follower
// "synced" once it is in sync. Point amqp-perf / compare.sh at the leader's AMQP port; SIGTERM stops.
import { parseArgs } from 'node:util';
import { startBroker } from '../../src/index.js';
import {
  clusterSecret,
  startReplicationFollower,
  startReplicationLeader,
} from '../../src/cluster/replication/index.js';
import { createLogger } from '../../src/util/logger.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    'amqp-port': { type: 'string', default: '5703' },
    'cluster-port': { type: 'string', default: '5710' },
    'required-acks': { type: 'string', default: '1' },
    leader: { type: 'string', default: '127.0.0.1:5710' },
    name: { type: 'string', default: 'f1' },
  },
});
const secret = clusterSecret(undefined) ?? 'bench';
const log = createLogger('info');
const dataDir = values['data-dir'];
if (!dataDir) throw new Error('--data-dir is required');
let stop: () => Promise<void>;
if (positionals[0] === 'leader') {
  const b = await startBroker({
    amqpPort: Number(values['amqp-port']),
    bind: '127.0.0.1',
    storage: 'file',
    dataDir,
    logLevel: 'warn',
    managementPort: null,
    prometheusPort: null,
    mqttPort: null,
    stompPort: null,
  });
  const l = await startReplicationLeader(
    b,
    { port: Number(values['cluster-port']), host: '127.0.0.1', secret, requiredAcks: Number(values['required-acks']) },
    log,
  );
  log.info({ amqp: b.amqpPort, cluster: l.port }, 'ready');
  stop = async () => {
    await l.close();
    await b.close();
  };
} else if (positionals[0] === 'follower') {
  const [host, port] = values.leader.split(':');
  const f = startReplicationFollower(
    { dataDir, leader: { host: host!, port: Number(port) }, secret, nodeName: values.name },
    log,
  );
  f.on('error', () => {});
  f.on('synced', () => log.info('synced'));
  stop = () => f.close();
} else throw new Error('usage: node.js leader|follower …');
process.on('SIGTERM', () => void stop().then(() => process.exit(0)));
