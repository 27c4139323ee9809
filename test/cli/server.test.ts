// `warren server` as a user runs it: flags, WARREN_* environment, config file, --help, and a clean
// shutdown on SIGTERM/SIGINT that tells connected clients 320 CONNECTION_FORCED and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { MQTT_GUEST } from '../clients/mqtt/helpers.js';
import { spawnWarren, tempDir, WARREN_BIN, type WarrenChild } from '../helpers/warren-child.js';

function startServer(args: string[], env: Record<string, string> = {}): Promise<WarrenChild> {
  return spawnWarren(args, {
    // management, Prometheus, MQTT and STOMP listeners off unless a test asks (the RabbitMQ anchor holds
    // their default ports)
    env: {
      WARREN_MANAGEMENT_PORT: '0',
      WARREN_PROMETHEUS_PORT: '0',
      WARREN_MQTT_PORT: '0',
      WARREN_STOMP_PORT: '0',
      WARREN_STREAM_PORT: '0',
      WARREN_WEB_MQTT_PORT: '0',
      WARREN_WEB_STOMP_PORT: '0',
      ...env,
    },
    timeoutMs: 10000,
  });
}

test('--help lists every server option with its WARREN_* variable', () => {
  const r = spawnSync(process.execPath, [WARREN_BIN, 'server', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const flag of [
    '--amqp-port',
    '--bind',
    '--data-dir',
    '--config',
    '--log-level',
    '--amqps-port',
    '--tls-cert',
    '--tls-key',
    '--tls-ca',
    '--mqtt-port',
    '--mqtts-port',
    '--stomp-port',
    '--stomps-port',
    '--stream-port',
    '--streams-port',
    '--stream-advertised-host',
    '--stream-advertised-port',
    '--web-mqtt-port',
    '--web-stomp-port',
    '--management-port',
    '--prometheus-port',
    '--load-definitions',
  ]) {
    assert.match(r.stdout, new RegExp(flag), flag);
  }
  assert.match(r.stdout.replace(/\s+/g, ' '), /WARREN_AMQP_PORT/);
  assert.match(r.stdout.replace(/\s+/g, ' '), /WARREN_DATA_DIR/);
  assert.match(r.stdout.replace(/\s+/g, ' '), /WARREN_WEB_STOMP_PORT/);
  assert.match(r.stdout.replace(/\s+/g, ' '), /WARREN_MANAGEMENT_PORT/);
  assert.match(r.stdout.replace(/\s+/g, ' '), /WARREN_PROMETHEUS_PORT/);
});

test('SIGTERM: clients get 320 CONNECTION_FORCED, definitions are flushed, exit code 0', async () => {
  const dir = tempDir('warren-cli-');
  const s = await startServer(['--amqp-port', '0', '--bind', '127.0.0.1', '--data-dir', dir]);
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${s.port}`);
  const ch = await conn.createChannel();
  await ch.assertQueue('cli-durable', { durable: true });
  // amqplib reports a server-initiated close on 'close' (with the reason) and, for some codes, 'error' too
  conn.on('error', () => {});
  const closed = new Promise<Error>((r) => conn.on('close', r));
  s.child.kill('SIGTERM');
  const err = await closed;
  assert.ok(err, 'close carries the server reason');
  assert.match(err.message, /320/);
  assert.match(err.message, /CONNECTION_FORCED/);
  assert.equal(await s.exited, 0);
  assert.ok(existsSync(join(dir, 'format_version')));
  assert.match(readFileSync(join(dir, 'definitions.json'), 'utf8'), /cli-durable/);
});

test('SIGINT also exits 0; WARREN_* environment sets options', async () => {
  const dir = tempDir('warren-cli-');
  const s = await startServer([], {
    WARREN_AMQP_PORT: '0',
    WARREN_BIND: '127.0.0.1',
    WARREN_DATA_DIR: dir,
    WARREN_HEARTBEAT: '7',
  });
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${s.port}`);
  assert.equal((conn.connection as unknown as { heartbeat: number }).heartbeat, 7);
  await conn.close();
  s.child.kill('SIGINT');
  assert.equal(await s.exited, 0);
});

test('a YAML config file is read; flags override it', async () => {
  const dir = tempDir('warren-cli-');
  const cfg = join(dir, 'warren.yaml');
  writeFileSync(cfg, `amqpPort: 1\nbind: 127.0.0.1\ndataDir: ${dir}\nheartbeat: 9\n`);
  const s = await startServer(['--config', cfg, '--amqp-port', '0']);
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${s.port}`);
  assert.equal((conn.connection as unknown as { heartbeat: number }).heartbeat, 9);
  await conn.close();
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});

test('vm_memory_high_watermark.absolute in a config file: the log says so, and a publisher is blocked past it', async () => {
  const dir = tempDir('warren-cli-');
  const cfg = join(dir, 'rabbit-names.yaml');
  // 1 MB: under what the process uses, so the alarm is raised at start
  writeFileSync(cfg, `bind: 127.0.0.1\ndataDir: ${dir}\nvm_memory_high_watermark.absolute: 1MB\n`);
  const s = await startServer(['--config', cfg, '--amqp-port', '0', '--log-level', 'info']);
  assert.match(s.stderr(), /Memory high watermark set to 0 MiB \(1000000 bytes\) of \d+ MiB/);
  assert.match(s.stderr(), /vm_memory_high_watermark set\. Memory used:\d+ allowed:1000000/);
  assert.match(s.stderr(), /memory resource limit alarm set on node warren@/);
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${s.port}`);
  const blocked = new Promise<string>((r) => conn.once('blocked', r));
  const ch = await conn.createChannel();
  ch.sendToQueue('amq.rabbitmq.nowhere', Buffer.from('x'));
  assert.equal(await blocked, 'low on memory');
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});

test('a bad option value is a clear error and a non-zero exit', () => {
  const r = spawnSync(process.execPath, [WARREN_BIN, 'server', '--amqp-port', 'nope'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /not a port/);
});

test('--mqtt-port and --stomp-port start those listeners; 0 turns them off', async () => {
  const dir = tempDir('warren-cli-');
  // a port that was free a moment ago (the CLI reads 0 as "off" for these listeners, not "any port")
  const free = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const s = await startServer([
    '--amqp-port',
    '0',
    '--bind',
    '127.0.0.1',
    '--data-dir',
    dir,
    '--storage',
    'memory',
    '--mqtt-port',
    String(free),
  ]);
  const deadline = Date.now() + 5000;
  while (!/MQTT listening on [^"]* port \d+/.test(s.stderr()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(s.stderr(), new RegExp(`MQTT listening on [^"]* port ${free}`));
  assert.doesNotMatch(s.stderr(), /STOMP listening/);
  assert.doesNotMatch(s.stderr(), /Stream protocol listening/);
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${free}`, {
    ...MQTT_GUEST,
  });
  assert.equal(c.connected, true);
  c.end(true);
  s.child.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});
