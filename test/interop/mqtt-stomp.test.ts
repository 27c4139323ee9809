// MQTT and STOMP with non-JS clients: mosquitto_pub/mosquitto_sub (Debian mosquitto-clients), paho-mqtt
// and stomp.py (Debian python3-paho-mqtt, python3-stomp); and retained messages and persistent sessions
// across a Warren restart (storage:'file'). A missing tool skips its test; CI installs them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { RunningBroker } from '../../src/index.js';
import { eventually, uniqueName } from '../helpers/broker.js';
import { Inbox, startMqttBroker, MQTT_GUEST } from '../clients/mqtt/helpers.js';

const PY = process.env.WARREN_INTEROP_PYTHON ?? '/usr/bin/python3';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SRC = path.resolve(HERE, '../../../test/interop/python');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const pyHas = (mod: string) => existsSync(PY) && spawnSync(PY, ['-c', `import ${mod}`]).status === 0;

function run(cmd: string, args: string[], timeoutMs = 15000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

/** A fresh broker, one of test/interop/python's scripts run against it (host, port, then `args`): it must exit 0. */
async function runScript(script: string, port: (b: RunningBroker) => number | null, args: string[]): Promise<void> {
  const b = await startMqttBroker();
  try {
    const r = await run(PY, [path.join(SRC, script), '127.0.0.1', String(port(b)), ...args]);
    assert.equal(r.code, 0, r.out);
  } finally {
    await b.close();
  }
}

test(
  'mosquitto_sub receives what mosquitto_pub publishes (QoS 1, vhost:user username)',
  { skip: !has('mosquitto_pub') },
  async () => {
    const b = await startMqttBroker();
    try {
      const t = uniqueName('mosq').replaceAll('.', '_');
      const port = String(b.mqttPort);
      const sub = run('mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-u',
        '/:guest',
        '-P',
        'guest',
        '-t',
        `${t}/#`,
        '-q',
        '1',
        '-C',
        '2',
        '-v',
        '-W',
        '10',
      ]);
      await new Promise((r) => setTimeout(r, 300));
      for (const m of ['first', 'second']) {
        const p = await run('mosquitto_pub', [
          '-h',
          '127.0.0.1',
          '-p',
          port,
          '-u',
          'guest',
          '-P',
          'guest',
          '-t',
          `${t}/x`,
          '-m',
          m,
          '-q',
          '1',
        ]);
        assert.equal(p.code, 0, p.out);
      }
      const s = await sub;
      assert.equal(s.code, 0, s.out);
      assert.equal(s.out, `${t}/x first\n${t}/x second\n`);
      const bad = await run('mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-u',
        'guest',
        '-P',
        'nope',
        '-t',
        'x',
        '-m',
        'x',
      ]);
      assert.notEqual(bad.code, 0);
    } finally {
      await b.close();
    }
  },
);

test(
  'mosquitto_sub -V mqttv5 gets its subscription identifier; mosquitto_pub -V mqttv5 with a client topic alias',
  { skip: !has('mosquitto_pub') },
  async () => {
    const b = await startMqttBroker();
    try {
      const t = uniqueName('mosq5').replaceAll('.', '_');
      const port = String(b.mqttPort);
      const common = ['-h', '127.0.0.1', '-p', port, '-u', 'guest', '-P', 'guest', '-V', 'mqttv5'];
      const id = uniqueName('mosq5sub').replaceAll('.', '_');
      const sub = run('mosquitto_sub', [
        ...common,
        '-i',
        id,
        '-D',
        'subscribe',
        'subscription-identifier',
        '7',
        '-t',
        `${t}/#`,
        '-q',
        '1',
        '-C',
        '3',
        '-F',
        '%t|%p|%S',
        '-W',
        '10',
      ]);
      // subscribed once its binding exists
      await eventually(() => b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${id}qos1`)?.bindings.size);
      for (const [topic, m] of [
        ['a', 'm1'],
        ['a', 'm2'],
        ['b', 'm3'],
      ] as const) {
        // mosquitto_pub names the topic and sets client alias 1 (Warren accepts up to 16)
        const p = await run('mosquitto_pub', [
          ...common,
          '-D',
          'publish',
          'topic-alias',
          '1',
          '-t',
          `${t}/${topic}`,
          '-m',
          m,
          '-q',
          '1',
        ]);
        assert.equal(p.code, 0, p.out);
      }
      const s = await sub;
      assert.equal(s.code, 0, s.out);
      // the subscription's identifier on each (no server topic aliases: libmosquitto 2.0 cannot take them,
      // it treats an empty topic as a protocol error, so mosquitto_sub is not told it may)
      assert.equal(s.out, `${t}/a|m1|7\n${t}/a|m2|7\n${t}/b|m3|7\n`);
    } finally {
      await b.close();
    }
  },
);

test('paho-mqtt MQTT 5: subscription identifiers, No Local, topic aliases', { skip: !pyHas('paho.mqtt.client') }, () =>
  runScript('paho_mqtt5.py', (b) => b.mqttPort, [uniqueName('paho5').replaceAll('.', '_')]),
);

test(
  'paho-mqtt QoS 2: 3.1.1 and 5 publishers, a persistent QoS 2 subscriber gets each message once',
  { skip: !pyHas('paho.mqtt.client') },
  () => runScript('paho_qos2.py', (b) => b.mqttPort, [uniqueName('pahoq2').replaceAll('.', '_')]),
);

test(
  'mosquitto_pub/mosquitto_sub -q 2 (3.1.1 and 5): exactly once, also queued for a persistent session while away',
  { skip: !has('mosquitto_pub') },
  async () => {
    const b = await startMqttBroker();
    try {
      const t = uniqueName('mosq2').replaceAll('.', '_');
      const id = uniqueName('mosq2sub').replaceAll('.', '_');
      const base = ['-h', '127.0.0.1', '-p', String(b.mqttPort), '-u', 'guest', '-P', 'guest', '-q', '2'];
      // subscribe with a persistent session, then leave (-E: exit once subscribed)
      const s1 = await run('mosquitto_sub', [...base, '-t', `${t}/#`, '-c', '-i', id, '-E']);
      assert.equal(s1.code, 0, s1.out);
      for (const [v, m] of [
        ['mqttv311', 'first'],
        ['mqttv5', 'second'],
        ['mqttv311', 'third'],
      ] as const) {
        const p = await run('mosquitto_pub', [...base, '-V', v, '-t', `${t}/x`, '-m', m, '-d']);
        assert.equal(p.code, 0, p.out);
        assert.match(p.out, /received PUBREC/);
        assert.match(p.out, /received PUBCOMP/);
      }
      const s2 = await run('mosquitto_sub', [
        ...base,
        '-t',
        `${t}/#`,
        '-c',
        '-i',
        id,
        '-C',
        '3',
        '-v',
        '-W',
        '10',
        '-d',
      ]);
      assert.equal(s2.code, 0, s2.out);
      assert.deepEqual(
        s2.out.split('\n').filter((l) => l.startsWith(t)),
        [`${t}/x first`, `${t}/x second`, `${t}/x third`],
      );
      assert.match(s2.out, /received PUBLISH \(d0, q2/);
      assert.match(s2.out, /received PUBREL/);
    } finally {
      await b.close();
    }
  },
);

test(
  'mosquitto_sub in a shared subscription group with an mqtt.js member (MQTT 5 and 3.1.1): messages split between them',
  { skip: !has('mosquitto_sub') },
  async () => {
    const b = await startMqttBroker();
    const other = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, { ...MQTT_GUEST, protocolVersion: 5 });
    try {
      const t = uniqueName('mosqsh').replaceAll('.', '_');
      const inbox = new Inbox(other);
      await other.subscribeAsync(`$share/grp/${t}`, { qos: 1 });
      for (const v of ['mqttv5', 'mqttv311']) {
        const base = ['-h', '127.0.0.1', '-p', String(b.mqttPort), '-u', 'guest', '-P', 'guest', '-V', v];
        const sub = run('mosquitto_sub', [...base, '-t', `$share/grp/${t}`, '-q', '1', '-C', '2', '-W', '10']);
        await eventually(
          () => (b.broker.vhosts.get('/')!.queues.get(`mqtt-shared-grp-${t}`)?.consumers.length ?? 0) === 2,
        );
        for (let i = 0; i < 4; i++) await other.publishAsync(t, `${v}-${i}`, { qos: 1 });
        const s = await sub;
        assert.equal(s.code, 0, s.out);
        assert.equal(s.out.trim().split('\n').length, 2, s.out);
        await eventually(() => inbox.all.length === 2);
        const all = [...s.out.trim().split('\n'), ...inbox.all.map((m) => m.payload)].sort();
        assert.deepEqual(
          all,
          [0, 1, 2, 3].map((i) => `${v}-${i}`),
        );
        inbox.all.length = 0;
      }
    } finally {
      other.end(true);
      await b.close();
    }
  },
);

test('paho-mqtt: persistent session and retained message', { skip: !pyHas('paho.mqtt.client') }, () =>
  runScript('paho_mqtt.py', (b) => b.mqttPort, [uniqueName('paho').replaceAll('.', '_')]),
);

test('paho-mqtt over WebSocket (Web-MQTT, /ws)', { skip: !pyHas('paho.mqtt.client') }, () =>
  runScript('paho_mqtt.py', (b) => b.webMqttPort, [uniqueName('pahows').replaceAll('.', '_'), 'websockets']),
);

test('stomp.py: SEND and SUBSCRIBE with client-individual acks', { skip: !pyHas('stomp') }, () =>
  runScript('stomp_py.py', (b) => b.stompPort, [uniqueName('stomppy')]),
);

test('retained messages, persistent-session subscriptions and their queued messages survive a Warren restart', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warren-mqtt-'));
  const clients: mqtt.MqttClient[] = [];
  const track = (c: mqtt.MqttClient) => (clients.push(c), c);
  let b = await startMqttBroker({ storage: 'file', dataDir: dir });
  try {
    const id = uniqueName('restart');
    const c = track(
      await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
        clientId: id,
        clean: false,
        ...MQTT_GUEST,
      }),
    );
    const first = new Inbox(c);
    await c.subscribeAsync('keep/+', { qos: 1 });
    await c.publishAsync('keep/state', 'retained across restarts', { qos: 1, retain: true });
    await first.next();
    await c.endAsync();
    // published while the session is offline: QoS 1 messages are persistent (delivery_mode 2) in its
    // durable queue, so they wait there across the restart (message durability, issue #3)
    const offline = track(
      await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
        ...MQTT_GUEST,
      }),
    );
    await offline.publishAsync('keep/offline', 'queued while offline', { qos: 1 });
    await offline.endAsync();
    await b.close();
    b = await startMqttBroker({ storage: 'file', dataDir: dir });
    {
      const q = b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${id}qos1`);
      assert.ok(q, 'the persistent session queue is restored');
      assert.deepEqual(
        [...q.bindings].map((x) => x.routingKey),
        ['keep.*'],
      );
      // the session resumes: a publish now reaches the restored subscription
      const c2 = track(
        mqtt.connect(`mqtt://127.0.0.1:${b.mqttPort}`, {
          clientId: id,
          clean: false,
          ...MQTT_GUEST,
        }),
      );
      const inbox = new Inbox(c2);
      const present = await new Promise<boolean>((r) => c2.once('connect', (a) => r(a.sessionPresent)));
      assert.equal(present, true);
      assert.equal((await inbox.next()).payload, 'queued while offline');
      const p = track(
        await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
          ...MQTT_GUEST,
        }),
      );
      await p.publishAsync('keep/live', 'after restart', { qos: 1 });
      assert.equal((await inbox.next()).payload, 'after restart');
      // and a new subscriber gets the retained message stored before the restart
      const late = track(
        await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, {
          ...MQTT_GUEST,
        }),
      );
      const lateInbox = new Inbox(late);
      await late.subscribeAsync('keep/state', { qos: 1 });
      const m = await lateInbox.next();
      assert.equal(m.payload, 'retained across restarts');
      assert.equal(m.packet.retain, true);
      await Promise.all([c2.endAsync(), p.endAsync(), late.endAsync()]);
    }
  } finally {
    for (const c of clients) c.end(true);
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
