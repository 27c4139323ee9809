// One fairness case: a flat-out load (amqp-perf, or flood.ts in Node) on its own connections and, at the same
// time, the probes of probes.ts on theirs; the probes' samples are taken from the window in which the load ran
// at full speed. Used by bench/fairness.mjs (the figures in BENCHMARKS.md) and test/load/fairness.test.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfirmProbe, HeartbeatProbe, type ConfirmResult, type HeartbeatResult } from './probes.js';

export type LoadTool = 'amqp-perf' | 'node';

export interface FairnessCase {
  /** Body size of the flat-out publisher's messages. */
  size: number;
  /** The load's consumer on its queue: none, manual ack, or no-ack (autoack; MQTT: a QoS 0 subscriber). */
  consumer: 'none' | 'ack' | 'autoack';
  /** The load's protocol (the probes are always AMQP): amqp, or mqtt (flood-mqtt.ts; no `ack` consumer). */
  protocol?: 'amqp' | 'mqtt';
}

export interface FairnessOptions {
  /** Seconds measured (the load runs `warmup` seconds longer). */
  seconds: number;
  warmup: number;
  tool: LoadTool;
  /** Path of the amqp-perf binary (tool amqp-perf). */
  amqpPerf?: string;
  /** The load's queue is bounded (x-max-length, drop-head) so the no-consumer case stays in memory. */
  maxLength?: number;
  /** The broker's MQTT listener (mqtt://guest:guest@host:port), for MQTT loads. */
  mqttUri?: string;
}

export interface FairnessResult extends FairnessCase {
  tool: LoadTool;
  /** The load's own figures: messages/s published and consumed. */
  sentPerS: number;
  receivedPerS: number;
  loadError: string | null;
  probe: ConfirmResult;
  heartbeat: HeartbeatResult;
}

const FLOOD = fileURLToPath(new URL('./flood.js', import.meta.url));
const FLOOD_MQTT = fileURLToPath(new URL('./flood-mqtt.js', import.meta.url));
/**
 * amqp-perf: $AMQP_PERF, else where shared/bench/build.sh puts it next to the checkout (../shared from a main
 * checkout, ../../shared from a worktree under wt/). Null when none is there.
 */
export function findAmqpPerf(): string | null {
  const env = process.env['AMQP_PERF'];
  if (env !== undefined && env !== '') return existsSync(env) ? env : null;
  // from dist/bench/fairness/: ../../../ is the repository root
  for (const up of ['../../../../shared', '../../../../../shared']) {
    const p = fileURLToPath(new URL(`${up}/bench/bin/amqp-perf`, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

/** Starts the load; resolves `started` when it runs at full speed (after its warm-up), `done` with its JSON. */
function startLoad(
  uri: string,
  c: FairnessCase,
  o: FairnessOptions,
): { child: ChildProcess; started: Promise<void>; done: Promise<Record<string, unknown>> } {
  const maxLength = o.maxLength ?? 200000;
  let child: ChildProcess;
  if (c.protocol === 'mqtt') {
    if (o.mqttUri === undefined) throw new Error('an MQTT load needs mqttUri');
    if (c.consumer === 'ack') throw new Error('an MQTT load has no manual-ack consumer');
    const args = [FLOOD_MQTT, '--uri', o.mqttUri, '--size', String(c.size), '--consumer', c.consumer];
    args.push('--seconds', String(o.seconds + o.warmup));
    child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } else if (o.tool === 'amqp-perf') {
    const args = [
      '--uri',
      uri,
      '--producers',
      '1',
      '--consumers',
      c.consumer === 'none' ? '0' : '1',
      '--size',
      String(c.size),
      '--duration',
      String(o.seconds),
      '--warmup',
      String(o.warmup),
      '--queue-args',
      `x-max-length=${maxLength}`,
      '--broker-pid',
      'none',
    ];
    if (c.consumer === 'autoack') args.push('--autoack');
    child = spawn(o.amqpPerf ?? findAmqpPerf() ?? 'amqp-perf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    const args = [FLOOD, '--uri', uri, '--size', String(c.size), '--consumer', c.consumer];
    args.push('--seconds', String(o.seconds + o.warmup), '--max-length', String(maxLength));
    child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  }
  const perf = o.tool === 'amqp-perf' && c.protocol !== 'mqtt';
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const started = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      // amqp-perf prints its first progress line 1 s into the measured time; flood.ts says "flooding"
      if (perf ? /\d\.\ds sent/.test(err) : err.includes('flooding')) {
        if (perf) resolve();
        else setTimeout(resolve, o.warmup * 1000);
      }
    });
    child.on('exit', () => reject(new Error(`load exited before it started: ${err.slice(-2000)}`)));
  });
  const done = new Promise<Record<string, unknown>>((resolve) => {
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        resolve({ error: `load exited ${code}: ${err.slice(-500)}` });
      }
    });
  });
  started.catch(() => {});
  return { child, started, done };
}

export async function runFairnessCase(uri: string, c: FairnessCase, o: FairnessOptions): Promise<FairnessResult> {
  const probe = await ConfirmProbe.start(uri);
  const hb = await HeartbeatProbe.start(uri, 1);
  const load = startLoad(uri, c, o);
  try {
    await load.started;
  } catch (e) {
    await probe.stop(0);
    hb.stop();
    throw e;
  }
  const from = performance.now();
  const res = await load.done;
  const to = performance.now();
  await probe.stop();
  hb.stop();
  const num = (k: string): number => (typeof res[k] === 'number' ? res[k] : 0);
  const perf = o.tool === 'amqp-perf' && c.protocol !== 'mqtt';
  const errs = res['errors'];
  const loadError =
    typeof res['error'] === 'string' && res['error'] !== ''
      ? res['error']
      : Array.isArray(errs) && errs.length !== 0
        ? errs.join('; ')
        : null;
  return {
    ...c,
    tool: perf ? 'amqp-perf' : 'node',
    sentPerS: num(perf ? 'sent_per_s' : 'sentPerS'),
    receivedPerS: num(perf ? 'received_per_s' : 'receivedPerS'),
    loadError,
    probe: probe.result(from, to),
    heartbeat: hb.result(from, to),
  };
}

/** A Warren server as a child process on free ports (memory storage; AMQP, and MQTT when asked). */
export async function startWarrenChild(
  opts: { mqtt?: boolean } = {},
): Promise<{ child: ChildProcess; uri: string; mqttUri: string | null; stop: () => Promise<void> }> {
  const entry = fileURLToPath(new URL('./broker-child.js', import.meta.url));
  const child = spawn(process.execPath, [entry, ...(opts.mqtt === true ? ['--mqtt'] : [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 100000) err = err.slice(-10000);
  });
  const ports = await new Promise<{ amqp: number; mqtt: number | null }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as { amqp: number; mqtt: number | null });
    });
    child.on('exit', () => reject(new Error(`warren exited: ${err}`)));
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    child,
    uri: `amqp://guest:guest@127.0.0.1:${ports.amqp}/`,
    mqttUri: ports.mqtt !== null ? `mqtt://guest:guest@127.0.0.1:${ports.mqtt}` : null,
    stop: async () => {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
