// Server configuration from three sources, in increasing precedence: a config file (JSON or YAML),
// WARREN_* environment variables, command-line flags. All three map onto BrokerOptions; this is the only
// place that reads the environment.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { BrokerOptions } from '../options.js';
import { SERVER_OPTIONS, type FlatConfig, type OptionSpec } from './server-options.js';
import { authBrokerOptions, foldIndexedKeys } from './auth-config.js';
import { isRabbitmqConf, parseRabbitmqConf } from './rabbitmq-conf.js';
import { limitBrokerOptions } from './limit-options.js';

export { SERVER_OPTIONS, type FlatConfig, type OptionSpec };

/** MQTT/STOMP listeners: the CLI turns them on at RabbitMQ's ports; 0 or off turns one off (issue #7). */
const PROTOCOL_PORTS: {
  key: 'mqttPort' | 'stompPort' | 'streamPort' | 'webMqttPort' | 'webStompPort';
  port: number;
}[] = [
  { key: 'mqttPort', port: 1883 },
  { key: 'stompPort', port: 61613 },
  { key: 'streamPort', port: 5552 },
  { key: 'webMqttPort', port: 15675 },
  { key: 'webStompPort', port: 15674 },
];
const PROTOCOL_TLS_PORTS: { key: 'mqttsPort' | 'stompsPort' | 'streamsPort'; port: number }[] = [
  { key: 'mqttsPort', port: 8883 },
  { key: 'stompsPort', port: 61614 },
  { key: 'streamsPort', port: 5551 },
];

export function envName(flag: string): string {
  return 'WARREN_' + flag.toUpperCase().replace(/-/g, '_');
}

/** Parse one textual value (from a flag or the environment) as its spec says. */
export function parseValue(spec: OptionSpec, raw: string | boolean): unknown {
  switch (spec.kind) {
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off|)$/i.test(raw)) return false;
      throw new Error(`--${spec.flag}: expected true or false, got '${raw}'`);
    case 'port': {
      const s = String(raw);
      if (s === 'off' || s === 'none' || s === 'false') return null;
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${spec.flag}: not a port: '${s}'`);
      return n;
    }
    case 'port0off': {
      const s = String(raw);
      if (s === 'off' || s === 'none' || s === 'false' || s === '0') return null;
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${spec.flag}: not a port: '${s}'`);
      return n;
    }
    case 'number': {
      const n = typeof raw === 'string' && raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n) || n < 0) throw new Error(`--${spec.flag}: not a non-negative number: '${String(raw)}'`);
      return n;
    }
    case 'int': {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0)
        throw new Error(`--${spec.flag}: not a non-negative integer: '${String(raw)}'`);
      return n;
    }
    case 'list':
      return String(raw)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'string':
      return String(raw);
  }
}

/**
 * Read a JSON or YAML config file whose keys are the camelCase option names, the flag names, or the
 * rabbitmq.conf keys where RabbitMQ has one (disk_free_limit.absolute, vm_memory_high_watermark.relative, …);
 * or a file in rabbitmq.conf's own `key = value` syntax with those keys.
 */
export function readConfigFile(path: string): FlatConfig {
  const text = readFileSync(path, 'utf8');
  if (isRabbitmqConf(path, text)) return readRabbitmqConf(path, text);
  const data: unknown = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new Error(`${path}: expected a mapping of options`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(foldIndexedKeys(data as Record<string, unknown>))) {
    const spec = SERVER_OPTIONS.find((s) => s.key === k || s.flag === k || s.rabbitmqKey === k);
    if (!spec) throw new Error(`${path}: unknown option '${k}'`);
    out[spec.key] =
      typeof v === 'string' || typeof v === 'boolean' || (spec.kind === 'number' && typeof v === 'number')
        ? parseValue(spec, typeof v === 'number' ? String(v) : v)
        : v;
  }
  return out as FlatConfig;
}

/** A rabbitmq.conf file (rabbitmq-conf.ts): its keys as in a YAML file, an unknown one named by its line. */
function readRabbitmqConf(path: string, text: string): FlatConfig {
  const settings = parseRabbitmqConf(path, text);
  const flat: Record<string, unknown> = {};
  for (const [k, v] of settings) flat[k] = v.value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(foldIndexedKeys(flat))) {
    const spec = SERVER_OPTIONS.find((s) => s.key === k || s.flag === k || s.rabbitmqKey === k);
    if (!spec) {
      const line = settings.get(k)?.line;
      throw new Error(`${path}${line === undefined ? '' : `:${line}`}: unknown or unsupported setting '${k}'`);
    }
    out[spec.key] = typeof v === 'string' ? parseValue(spec, v) : v;
  }
  return out as FlatConfig;
}

export function readEnv(env: NodeJS.ProcessEnv): FlatConfig {
  const out: Record<string, unknown> = {};
  for (const spec of SERVER_OPTIONS) {
    const v = env[envName(spec.flag)];
    if (v !== undefined) out[spec.key] = parseValue(spec, v);
  }
  return out as FlatConfig;
}

/** The merged flat config → startBroker options (TLS files read here). */
export function toBrokerOptions(c: FlatConfig): BrokerOptions {
  const o: BrokerOptions = {};
  if (c.amqpPort !== undefined) o.amqpPort = c.amqpPort;
  if (c.amqpsPort !== undefined) o.amqpsPort = c.amqpsPort;
  if (c.bind !== undefined) o.bind = c.bind;
  if (c.dataDir !== undefined) o.dataDir = c.dataDir;
  if (c.logLevel !== undefined) o.logLevel = c.logLevel;
  limitBrokerOptions(c, o);
  if (c.storage !== undefined) {
    if (c.storage !== 'file' && c.storage !== 'memory') throw new Error(`--storage: expected file or memory`);
    o.storage = c.storage;
  }
  if (c.advertiseRabbitmq !== undefined) o.advertiseRabbitmq = c.advertiseRabbitmq;
  if (c.mqttTopicAliasMaximum !== undefined) o.mqttTopicAliasMaximum = c.mqttTopicAliasMaximum;
  if (c.mqttQos2 !== undefined) {
    if (c.mqttQos2 !== 'exactly-once' && c.mqttQos2 !== 'downgrade') {
      throw new Error(`--mqtt-qos2: expected exactly-once or downgrade`);
    }
    o.mqttQos2 = c.mqttQos2;
  }
  if (c.diskFreeLimit !== undefined) o.diskFreeLimit = String(c.diskFreeLimit);
  if (c.diskFreeLimitRelative !== undefined) o.diskFreeLimitRelative = c.diskFreeLimitRelative;
  if (c.segmentSize !== undefined) o.segmentSize = String(c.segmentSize);
  if (c.vmMemoryHighWatermark !== undefined) o.vmMemoryHighWatermark = c.vmMemoryHighWatermark;
  if (c.vmMemoryHighWatermarkAbsolute !== undefined) {
    o.vmMemoryHighWatermarkAbsolute = String(c.vmMemoryHighWatermarkAbsolute);
  }
  if (c.totalMemoryAvailableOverrideValue !== undefined) {
    o.totalMemoryAvailableOverrideValue = String(c.totalMemoryAvailableOverrideValue);
  }
  if (c.vmMemoryCalculationStrategy !== undefined) {
    const st = c.vmMemoryCalculationStrategy;
    if (st !== 'allocated' && st !== 'rss')
      throw new Error(`--vm-memory-calculation-strategy: expected allocated or rss`);
    o.vmMemoryCalculationStrategy = st;
  }
  // the server's listeners default on, as RabbitMQ's (startBroker's default is off)
  o.managementPort = c.managementPort === undefined ? 15672 : c.managementPort;
  if (c.managementTlsPort !== undefined) o.managementTlsPort = c.managementTlsPort;
  o.prometheusPort = c.prometheusPort === undefined ? 15692 : c.prometheusPort;
  if (c.prometheusTlsPort !== undefined) o.prometheusTlsPort = c.prometheusTlsPort;
  authBrokerOptions(c, o);
  if (c.loadDefinitions !== undefined) o.loadDefinitions = c.loadDefinitions;
  if (c.streamAdvertisedHost !== undefined) o.streamAdvertisedHost = c.streamAdvertisedHost;
  if (c.streamAdvertisedPort !== undefined) o.streamAdvertisedPort = c.streamAdvertisedPort;
  if (c.etcd !== undefined && c.etcd.length > 0) o.etcd = c.etcd;
  if (c.nodeName !== undefined) o.nodeName = c.nodeName;
  if (c.clusterPort !== undefined) o.clusterPort = c.clusterPort;
  if (c.clusterName !== undefined) o.clusterName = c.clusterName;
  if (c.clusterLeaseTtl !== undefined) o.clusterLeaseTtl = c.clusterLeaseTtl;
  if (c.clusterAdvertiseHost !== undefined) o.clusterAdvertiseHost = c.clusterAdvertiseHost;
  if (c.clusterAdvertisePort !== undefined) o.clusterAdvertisePort = c.clusterAdvertisePort;
  if (c.clusterSecret !== undefined) o.clusterSecret = c.clusterSecret;
  if (c.loopbackUsers !== undefined) {
    o.loopbackUsers = c.loopbackUsers.length === 1 && c.loopbackUsers[0] === 'none' ? [] : c.loopbackUsers;
  }
  // startBroker keeps 0 as "any free port"; on the command line 0 turns these listeners off
  for (const { key, port } of PROTOCOL_PORTS) {
    const v = c[key];
    o[key] = v === undefined ? port : v === 0 ? null : v;
  }
  if (c.tlsCert || c.tlsKey) {
    if (!c.tlsCert || !c.tlsKey) throw new Error('TLS needs both --tls-cert and --tls-key');
    o.tls = {
      cert: readFileSync(c.tlsCert),
      key: readFileSync(c.tlsKey),
      ...(c.tlsCa ? { ca: readFileSync(c.tlsCa) } : {}),
      verifyPeer: c.tlsVerifyPeer ?? false,
      failIfNoPeerCert: c.tlsFailIfNoPeerCert ?? false,
    };
  }
  for (const { key, port } of PROTOCOL_TLS_PORTS) {
    const v = c[key];
    o[key] = v === undefined ? (o.tls ? port : null) : v === 0 ? null : v;
  }
  for (const key of ['webMqttTlsPort', 'webStompTlsPort'] as const) {
    const v = c[key];
    if (v !== undefined) o[key] = v === 0 ? null : v;
  }
  return o;
}
