// Test helper: a broker with a replication leader (src/cluster/replication/) in a child process, so a test
// can kill -9 it. Run as `node replication-leader.js '<json>'` ({dataDir, secret, requiredAcks,
// segmentSize}); it prints one JSON line {amqpPort, clusterPort} on stdout once both listen. The parent
// changes requiredAcks by writing a number and a newline to its stdin. `spawnReplicationLeader` runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startBroker } from '../../src/index.js';
import { startReplicationLeader } from '../../src/cluster/replication/index.js';
import { createLogger } from '../../src/util/logger.js';

export interface LeaderChildOptions {
  dataDir: string;
  secret: string;
  requiredAcks: number;
  segmentSize?: number;
}

export interface LeaderChild {
  child: ChildProcess;
  amqpPort: number;
  clusterPort: number;
  url: string;
  setRequiredAcks(n: number): void;
  kill9(): Promise<void>;
}

export async function spawnReplicationLeader(o: LeaderChildOptions): Promise<LeaderChild> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(o)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`leader child exited with ${code}`)));
  });
  const { amqpPort, clusterPort } = JSON.parse(line) as { amqpPort: number; clusterPort: number };
  return {
    child,
    amqpPort,
    clusterPort,
    url: `amqp://guest:guest@127.0.0.1:${amqpPort}/`,
    setRequiredAcks: (n) => child.stdin!.write(`${n}\n`),
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function main(arg: string): Promise<void> {
  const o = JSON.parse(arg) as LeaderChildOptions;
  const b = await startBroker({
    amqpPort: 0,
    bind: '127.0.0.1',
    storage: 'file',
    dataDir: o.dataDir,
    logLevel: 'warn',
    managementPort: null,
    prometheusPort: null,
    mqttPort: null,
    stompPort: null,
    ...(o.segmentSize ? { segmentSize: o.segmentSize } : {}),
  });
  const leader = await startReplicationLeader(
    b,
    { port: 0, host: '127.0.0.1', secret: o.secret, requiredAcks: o.requiredAcks },
    createLogger('warn'),
  );
  process.stdout.write(JSON.stringify({ amqpPort: b.amqpPort, clusterPort: leader.port }) + '\n');
  createInterface({ input: process.stdin }).on('line', (l) => leader.setRequiredAcks(Number(l)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv[2]!);
