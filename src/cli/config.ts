// Server configuration from three sources, in increasing precedence: a config file (JSON or YAML),
// WARREN_* environment variables, command-line flags. All three map onto BrokerOptions; this is the only
// place that reads the environment.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { BrokerOptions, LogLevel } from '../options.js';

/** One server option: its flag, its environment variable, and how a string becomes a BrokerOptions value. */
export interface OptionSpec {
  flag: string;
  key: keyof FlatConfig;
  /** 'port': 0 = any free port, off = none; 'port0off': 0 (or off) = none, as the management issue asks. */
  kind: 'port' | 'port0off' | 'int' | 'number' | 'string' | 'bool' | 'list';
  help: string;
  defaultText?: string;
  /** The rabbitmq.conf key, accepted in config files too (vm_memory_high_watermark.relative, …). */
  rabbitmqKey?: string;
}

/** The flat, string-keyed form every source is read into before it becomes BrokerOptions. */
export interface FlatConfig {
  amqpPort?: number | null;
  amqpsPort?: number | null;
  bind?: string[];
  dataDir?: string;
  logLevel?: LogLevel;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsVerifyPeer?: boolean;
  tlsFailIfNoPeerCert?: boolean;
  heartbeat?: number;
  frameMax?: number;
  channelMax?: number;
  consumerTimeout?: number;
  storage?: 'file' | 'memory';
  advertiseRabbitmq?: boolean;
  diskFreeLimit?: string;
  diskFreeLimitRelative?: number;
  vmMemoryHighWatermark?: number;
  vmMemoryHighWatermarkAbsolute?: string;
  vmMemoryCalculationStrategy?: string;
  totalMemoryAvailableOverrideValue?: string;
  segmentSize?: string;
  managementPort?: number | null;
  managementTlsPort?: number | null;
  prometheusPort?: number | null;
  loadDefinitions?: string;
  loopbackUsers?: string[];
  mqttPort?: number | null;
  mqttsPort?: number | null;
  stompPort?: number | null;
  stompsPort?: number | null;
  webMqttPort?: number | null;
  webStompPort?: number | null;
  webMqttTlsPort?: number | null;
  webStompTlsPort?: number | null;
  mqttTopicAliasMaximum?: number;
}

/** MQTT/STOMP listeners: the CLI turns them on at RabbitMQ's ports; 0 or off turns one off (issue #7). */
const PROTOCOL_PORTS: { key: 'mqttPort' | 'stompPort' | 'webMqttPort' | 'webStompPort'; port: number }[] = [
  { key: 'mqttPort', port: 1883 },
  { key: 'stompPort', port: 61613 },
  { key: 'webMqttPort', port: 15675 },
  { key: 'webStompPort', port: 15674 },
];
const PROTOCOL_TLS_PORTS: { key: 'mqttsPort' | 'stompsPort'; port: number }[] = [
  { key: 'mqttsPort', port: 8883 },
  { key: 'stompsPort', port: 61614 },
];

export const SERVER_OPTIONS: OptionSpec[] = [
  {
    flag: 'amqp-port',
    key: 'amqpPort',
    kind: 'port',
    help: 'AMQP port (0: any free port, off: none)',
    defaultText: '5672',
  },
  { flag: 'bind', key: 'bind', kind: 'list', help: 'interfaces to listen on, comma-separated', defaultText: '::' },
  { flag: 'data-dir', key: 'dataDir', kind: 'string', help: 'where durable state lives', defaultText: './data' },
  {
    flag: 'log-level',
    key: 'logLevel',
    kind: 'string',
    help: 'trace|debug|info|warn|error|fatal|silent',
    defaultText: 'info',
  },
  {
    flag: 'amqps-port',
    key: 'amqpsPort',
    kind: 'port',
    help: 'AMQP over TLS port (needs --tls-cert/--tls-key)',
    defaultText: '5671 with TLS',
  },
  { flag: 'tls-cert', key: 'tlsCert', kind: 'string', help: 'PEM certificate chain file' },
  { flag: 'tls-key', key: 'tlsKey', kind: 'string', help: 'PEM private key file' },
  { flag: 'tls-ca', key: 'tlsCa', kind: 'string', help: 'PEM CA bundle for verifying client certificates' },
  { flag: 'tls-verify-peer', key: 'tlsVerifyPeer', kind: 'bool', help: 'ask clients for a certificate' },
  {
    flag: 'tls-fail-if-no-peer-cert',
    key: 'tlsFailIfNoPeerCert',
    kind: 'bool',
    help: 'refuse clients without a valid certificate',
  },
  {
    flag: 'heartbeat',
    key: 'heartbeat',
    kind: 'int',
    help: 'heartbeat seconds proposed in connection.tune',
    defaultText: '60',
  },
  {
    flag: 'frame-max',
    key: 'frameMax',
    kind: 'int',
    help: 'frame_max proposed in connection.tune',
    defaultText: '131072',
  },
  {
    flag: 'channel-max',
    key: 'channelMax',
    kind: 'int',
    help: 'channel_max proposed in connection.tune',
    defaultText: '2047',
  },
  {
    flag: 'consumer-timeout',
    key: 'consumerTimeout',
    kind: 'int',
    help: 'ms an unacked delivery may stay out before its channel is closed',
    defaultText: '1800000',
  },
  {
    flag: 'storage',
    key: 'storage',
    kind: 'string',
    help: 'file|memory (memory keeps nothing across restarts)',
    defaultText: 'file',
  },
  { flag: 'mqtt-port', key: 'mqttPort', kind: 'port', help: 'MQTT port (0 or off: none)', defaultText: '1883' },
  {
    flag: 'mqtts-port',
    key: 'mqttsPort',
    kind: 'port',
    help: 'MQTT over TLS port (0 or off: none)',
    defaultText: '8883 with TLS',
  },
  { flag: 'stomp-port', key: 'stompPort', kind: 'port', help: 'STOMP port (0 or off: none)', defaultText: '61613' },
  {
    flag: 'stomps-port',
    key: 'stompsPort',
    kind: 'port',
    help: 'STOMP over TLS port (0 or off: none)',
    defaultText: '61614 with TLS',
  },
  {
    flag: 'web-mqtt-port',
    key: 'webMqttPort',
    kind: 'port',
    help: 'MQTT over WebSocket port, path /ws (0 or off: none)',
    defaultText: '15675',
  },
  {
    flag: 'web-stomp-port',
    key: 'webStompPort',
    kind: 'port',
    help: 'STOMP over WebSocket port, path /ws (0 or off: none)',
    defaultText: '15674',
  },
  {
    flag: 'disk-free-limit',
    key: 'diskFreeLimit',
    kind: 'string',
    help: 'free disk space under which publishers are blocked (RabbitMQ disk_free_limit; 50MB, 1GiB, …)',
    defaultText: '50MB',
    rabbitmqKey: 'disk_free_limit.absolute',
  },
  {
    flag: 'disk-free-limit-relative',
    key: 'diskFreeLimitRelative',
    kind: 'number',
    help: 'the free disk limit as a multiple of total memory (RabbitMQ disk_free_limit.relative; 1.5, …); wins over --disk-free-limit',
    rabbitmqKey: 'disk_free_limit.relative',
  },
  {
    flag: 'vm-memory-high-watermark',
    key: 'vmMemoryHighWatermark',
    kind: 'number',
    help: 'memory high watermark, a fraction of RAM (or of the cgroup limit) past which publishers are blocked',
    defaultText: '0.4',
    rabbitmqKey: 'vm_memory_high_watermark.relative',
  },
  {
    flag: 'vm-memory-high-watermark-absolute',
    key: 'vmMemoryHighWatermarkAbsolute',
    kind: 'string',
    help: 'memory high watermark in bytes or with a unit (2GB, 1GiB); overrides the relative one',
    rabbitmqKey: 'vm_memory_high_watermark.absolute',
  },
  {
    flag: 'vm-memory-calculation-strategy',
    key: 'vmMemoryCalculationStrategy',
    kind: 'string',
    help: 'allocated (V8 heap + message buffers) or rss: what the memory watermark is compared with',
    defaultText: 'allocated',
    rabbitmqKey: 'vm_memory_calculation_strategy',
  },
  {
    flag: 'total-memory-available-override-value',
    key: 'totalMemoryAvailableOverrideValue',
    kind: 'string',
    help: 'the total memory a relative watermark applies to, instead of what the OS reports (4GiB, …)',
    rabbitmqKey: 'total_memory_available_override_value',
  },
  {
    flag: 'segment-size',
    key: 'segmentSize',
    kind: 'string',
    help: 'target size of a message segment file (advanced)',
    defaultText: '64MiB',
  },
  {
    flag: 'web-mqtt-tls-port',
    key: 'webMqttTlsPort',
    kind: 'port',
    help: 'MQTT over secure WebSocket port, path /ws (needs --tls-cert/--tls-key; RabbitMQ: 15676)',
    defaultText: 'off',
  },
  {
    flag: 'web-stomp-tls-port',
    key: 'webStompTlsPort',
    kind: 'port',
    help: 'STOMP over secure WebSocket port, path /ws (needs --tls-cert/--tls-key; RabbitMQ: 15673)',
    defaultText: 'off',
  },
  {
    flag: 'mqtt-topic-alias-maximum',
    key: 'mqttTopicAliasMaximum',
    kind: 'int',
    help: 'MQTT 5 topic aliases each way per connection (0: none)',
    defaultText: '16',
    rabbitmqKey: 'mqtt.topic_alias_maximum',
  },
  {
    flag: 'advertise-rabbitmq',
    key: 'advertiseRabbitmq',
    kind: 'bool',
    help: 'report product "RabbitMQ" (kombu/Celery compatibility)',
  },
  {
    flag: 'management-port',
    key: 'managementPort',
    kind: 'port0off',
    help: 'management HTTP API and web UI port (0 or off: none)',
    defaultText: '15672',
  },
  {
    flag: 'management-tls-port',
    key: 'managementTlsPort',
    kind: 'port0off',
    help: 'management over HTTPS with the --tls-* files (RabbitMQ uses 15671)',
    defaultText: 'off',
  },
  {
    flag: 'prometheus-port',
    key: 'prometheusPort',
    kind: 'port0off',
    help: 'Prometheus /metrics port (0 or off: none)',
    defaultText: '15692',
  },
  {
    flag: 'loopback-users',
    key: 'loopbackUsers',
    kind: 'list',
    help: "users who may connect only from localhost (RabbitMQ's loopback_users; 'none' for nobody)",
    defaultText: 'guest',
  },
  {
    flag: 'load-definitions',
    key: 'loadDefinitions',
    kind: 'string',
    help: "RabbitMQ definitions.json to import at boot (RabbitMQ's load_definitions)",
  },
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
 * rabbitmq.conf keys where RabbitMQ has one (disk_free_limit.absolute, vm_memory_high_watermark.relative, …).
 */
export function readConfigFile(path: string): FlatConfig {
  const text = readFileSync(path, 'utf8');
  const data: unknown = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new Error(`${path}: expected a mapping of options`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    const spec = SERVER_OPTIONS.find((s) => s.key === k || s.flag === k || s.rabbitmqKey === k);
    if (!spec) throw new Error(`${path}: unknown option '${k}'`);
    out[spec.key] =
      typeof v === 'string' || typeof v === 'boolean' || (spec.kind === 'number' && typeof v === 'number')
        ? parseValue(spec, typeof v === 'number' ? String(v) : v)
        : v;
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
  if (c.heartbeat !== undefined) o.heartbeat = c.heartbeat;
  if (c.frameMax !== undefined) o.frameMax = c.frameMax;
  if (c.channelMax !== undefined) o.channelMax = c.channelMax;
  if (c.consumerTimeout !== undefined) o.consumerTimeout = c.consumerTimeout;
  if (c.storage !== undefined) {
    if (c.storage !== 'file' && c.storage !== 'memory') throw new Error(`--storage: expected file or memory`);
    o.storage = c.storage;
  }
  if (c.advertiseRabbitmq !== undefined) o.advertiseRabbitmq = c.advertiseRabbitmq;
  if (c.mqttTopicAliasMaximum !== undefined) o.mqttTopicAliasMaximum = c.mqttTopicAliasMaximum;
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
  if (c.loadDefinitions !== undefined) o.loadDefinitions = c.loadDefinitions;
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
