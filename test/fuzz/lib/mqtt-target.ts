// The MQTT fuzz target: packets of every type for 3.1, 3.1.1 and 5 with their properties, built as objects
// and encoded by mqtt-packet (the codec of MQTT.js: it produces valid packets, which are then sometimes
// mutated), recorded mqtt.js sessions mutated, and raw bytes. The broker's answer is classified by its
// CONNACK return/reason code and DISCONNECT reason code.
import mqttPacket, { type Packet } from 'mqtt-packet';
import { chop, mutate } from './mutate.js';
import { corpus } from './corpus.js';
import type { FuzzCase, FuzzTarget } from './harness.js';
import type { Rng } from './rng.js';

const TOPICS = [
  'fz/a',
  'fz/+/b',
  'fz/#',
  '#',
  '+',
  '$SYS/x',
  'fz/a/b/c',
  '',
  '/',
  'a//b',
  'fz/\u0000',
  'fz/é',
  'x'.repeat(300),
];

function topic(rng: Rng, filter: boolean): string {
  const t = rng.pick(TOPICS);
  if (!filter && rng.chance(0.8)) return t.replace(/[+#]/g, 'w');
  if (rng.chance(0.05)) return rng.bytes(rng.size(40)).toString('latin1');
  return t;
}

function userProps(rng: Rng): Record<string, string | string[]> {
  const o: Record<string, string | string[]> = {};
  for (let n = rng.size(5); n > 0; n--) o[`k${rng.int(10)}`] = rng.chance(0.2) ? ['a', 'b'] : `v${rng.int(100)}`;
  return o;
}

function maybe<T>(rng: Rng, v: () => T): T | undefined {
  return rng.chance(0.3) ? v() : undefined;
}

function props(rng: Rng, kind: string): Record<string, unknown> | undefined {
  if (!rng.chance(0.6)) return undefined;
  const p: Record<string, unknown> = {};
  const num = (max: number): number => (rng.chance(0.8) ? rng.int(100) : rng.int(max + 1));
  switch (kind) {
    case 'connect':
      Object.assign(p, {
        sessionExpiryInterval: maybe(rng, () => num(0xffffffff)),
        receiveMaximum: maybe(rng, () => num(65535)),
        maximumPacketSize: maybe(rng, () => 1 + num(1000000)),
        topicAliasMaximum: maybe(rng, () => num(65535)),
        requestResponseInformation: maybe(rng, () => rng.chance(0.5)),
        requestProblemInformation: maybe(rng, () => rng.chance(0.5)),
        userProperties: maybe(rng, () => userProps(rng)),
        authenticationMethod: maybe(rng, () => rng.pick(['PLAIN', 'SCRAM-SHA-1', 'x'])),
      });
      break;
    case 'publish':
      Object.assign(p, {
        payloadFormatIndicator: maybe(rng, () => rng.chance(0.5)),
        messageExpiryInterval: maybe(rng, () => num(0xffffffff)),
        topicAlias: maybe(rng, () => num(65535)),
        responseTopic: maybe(rng, () => topic(rng, rng.chance(0.2))),
        correlationData: maybe(rng, () => rng.bytes(rng.size(40))),
        userProperties: maybe(rng, () => userProps(rng)),
        subscriptionIdentifier: maybe(rng, () => 1 + num(268435454)),
        contentType: maybe(rng, () => rng.pick(['text/plain', '', 'application/json'])),
      });
      break;
    case 'subscribe':
      Object.assign(p, {
        subscriptionIdentifier: maybe(rng, () => num(268435455)),
        userProperties: maybe(rng, () => userProps(rng)),
      });
      break;
    default:
      Object.assign(p, {
        reasonString: maybe(rng, () => 'fz'),
        userProperties: maybe(rng, () => userProps(rng)),
        sessionExpiryInterval: kind === 'disconnect' ? maybe(rng, () => num(0xffffffff)) : undefined,
      });
  }
  for (const k of Object.keys(p)) if (p[k] === undefined) delete p[k];
  return p;
}

function connect(rng: Rng, version: 3 | 4 | 5): Record<string, unknown> {
  return {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clean: rng.chance(0.8),
    clientId: rng.chance(0.2) ? '' : `fz-${rng.int(rng.chance(0.5) ? 8 : 100000)}`,
    keepalive: rng.chance(0.8) ? 60 : rng.int(65536),
    username: rng.chance(0.9) ? 'guest' : rng.pick(['', 'nobody', 'guest:x']),
    password: rng.chance(0.9) ? Buffer.from('guest') : rng.bytes(rng.size(20)),
    will: rng.chance(0.2)
      ? {
          topic: topic(rng, false),
          payload: rng.bytes(rng.size(100)),
          qos: rng.int(3),
          retain: rng.chance(0.3),
          properties: version === 5 ? { willDelayInterval: rng.int(3), ...props(rng, 'publish') } : undefined,
        }
      : undefined,
    properties: version === 5 ? props(rng, 'connect') : undefined,
  };
}

function packet(rng: Rng, version: 3 | 4 | 5, ids: number[]): Record<string, unknown> {
  const v5 = version === 5;
  const messageId = rng.chance(0.7) && ids.length ? rng.pick(ids) : 1 + rng.int(65535);
  const reason = (): number | undefined =>
    v5 && rng.chance(0.5) ? rng.pick([0, 0x10, 0x80, 0x87, 0x91, rng.int(256)]) : undefined;
  switch (rng.int(14)) {
    case 0:
    case 1:
    case 2:
    case 3: {
      const qos = rng.int(3);
      if (qos > 0) ids.push(messageId);
      return {
        cmd: 'publish',
        topic: topic(rng, rng.chance(0.05)),
        payload: rng.bytes(rng.chance(0.95) ? rng.size(300) : rng.size(200000)),
        qos,
        retain: rng.chance(0.2),
        dup: rng.chance(0.1),
        messageId,
        properties: v5 ? props(rng, 'publish') : undefined,
      };
    }
    case 4:
    case 5: {
      const subscriptions = Array.from({ length: 1 + rng.size(4) }, () => ({
        topic: topic(rng, true),
        qos: rng.chance(0.95) ? rng.int(3) : rng.int(4),
        nl: v5 ? rng.chance(0.2) : undefined,
        rap: v5 ? rng.chance(0.2) : undefined,
        rh: v5 ? rng.int(3) : undefined,
      }));
      return { cmd: 'subscribe', messageId, subscriptions, properties: v5 ? props(rng, 'subscribe') : undefined };
    }
    case 6:
      return {
        cmd: 'unsubscribe',
        messageId,
        unsubscriptions: Array.from({ length: 1 + rng.size(3) }, () => topic(rng, true)),
        properties: v5 ? props(rng, 'x') : undefined,
      };
    case 7:
      return { cmd: 'puback', messageId, reasonCode: reason(), properties: v5 ? props(rng, 'x') : undefined };
    case 8:
      return { cmd: rng.pick(['pubrec', 'pubrel', 'pubcomp']), messageId, reasonCode: reason() };
    case 9:
      return { cmd: 'pingreq' };
    case 10:
      return v5 && rng.chance(0.5)
        ? { cmd: 'auth', reasonCode: rng.pick([0, 0x18, 0x19]), properties: { authenticationMethod: 'PLAIN' } }
        : { cmd: 'pingreq' };
    case 11:
      return { cmd: 'connect', ...connect(rng, version) }; // a second CONNECT is a protocol violation
    case 12:
      return { cmd: rng.pick(['connack', 'suback', 'unsuback', 'pingresp']), messageId, returnCode: 0, granted: [0] };
    default:
      return { cmd: 'disconnect', reasonCode: reason(), properties: v5 ? props(rng, 'disconnect') : undefined };
  }
}

function encode(p: Record<string, unknown>, version: number): Buffer | null {
  try {
    return mqttPacket.generate(p as unknown as Packet, { protocolVersion: version });
  } catch {
    return null; // an object mqtt-packet refuses to encode: skip it
  }
}

function generate(rng: Rng): FuzzCase {
  const r = rng.int(100);
  const holdMs = rng.chance(0.05) ? rng.int(300) : 0;
  if (r < 60) {
    const version = rng.pick([4, 5, 5, 3] as const);
    const head = encode(connect(rng, version), version) ?? Buffer.alloc(0);
    const ids: number[] = [];
    const pkts: Buffer[] = [];
    for (let n = 1 + rng.size(20); n > 0; n--) {
      const b = encode(packet(rng, version, ids), version);
      if (b) pkts.push(b);
    }
    let tail: Buffer = Buffer.concat(pkts);
    if (rng.chance(0.3)) tail = mutate(rng, tail, head);
    const whole = rng.chance(0.1) ? mutate(rng, Buffer.concat([head, tail])) : Buffer.concat([head, tail]);
    return { kind: `mqtt${version}-grammar`, chunks: chop(rng, whole), holdMs };
  }
  if (r < 90) {
    const s = rng.pick(corpus('mqtt'));
    return { kind: 'mqtt-session', chunks: chop(rng, mutate(rng, s.bytes, rng.pick(corpus('mqtt')).bytes), 8), holdMs };
  }
  return { kind: 'mqtt-raw', chunks: chop(rng, rng.bytes(rng.size(2000))), holdMs };
}

/** CONNACK's code and the first DISCONNECT's reason, as a label ("connack 0", "connack 0 disconnect 130"). */
export function classifyMqtt(reply: Buffer): string {
  const parser = mqttPacket.parser({ protocolVersion: 5 });
  let connack = '';
  let disconnect = '';
  let version = 5;
  // the reply's version is unknown: CONNACK of 3.1.1 and 5 differ; try 5, then 4
  for (const v of [5, 4]) {
    connack = '';
    disconnect = '';
    const p = mqttPacket.parser({ protocolVersion: v });
    let ok = true;
    p.on('packet', (pk: Packet) => {
      if (pk.cmd === 'connack' && !connack) connack = `connack ${pk.reasonCode ?? pk.returnCode}`;
      if (pk.cmd === 'disconnect' && !disconnect) disconnect = ` disconnect ${pk.reasonCode ?? 0}`;
    });
    p.on('error', () => (ok = false));
    p.parse(reply);
    if (ok) {
      version = v;
      break;
    }
  }
  void parser;
  void version;
  return connack || disconnect ? `${connack}${disconnect}`.trim() : reply.length ? 'other' : 'closed';
}

export const mqttTarget: FuzzTarget = { name: 'mqtt', port: (p) => p.mqtt, generate, classify: classifyMqtt };
