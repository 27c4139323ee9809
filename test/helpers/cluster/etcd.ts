// A real etcd (Debian's etcd-server) for the cluster tests: one member on loopback ports reserved for the test process (ports.ts), its
// data in a temp directory that stop() removes. `.ci/run` installs etcd-server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePort } from './ports.js';

export const ETCD_BIN = process.env['WARREN_TEST_ETCD'] ?? '/usr/bin/etcd';

export interface EtcdProcess {
  /** The client URL (http://127.0.0.1:PORT). */
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'warren-etcd-'));
  const client = await reservePort();
  const peer = await reservePort();
  const url = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const proc = spawn(
    ETCD_BIN,
    [
      '--name',
      'test',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `test=${peerUrl}`,
      '--log-level',
      'error',
      '--logger',
      'zap',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 10000) stderr += d.toString();
  });
  // ready when the client port answers /health
  const deadline = Date.now() + 15000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`etcd exited ${proc.exitCode}: ${stderr}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`etcd did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
