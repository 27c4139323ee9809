// The server's options as the CLI knows them: each one's flag, WARREN_* variable, config-file keys (ours and
// rabbitmq.conf's), kind and help text (config.ts reads them from the three sources, main.ts lists them).
import type { LogLevel } from '../options.js';
import { AUTH_OPTIONS, type AuthFlatConfig } from './auth-config.js';
import { LIMIT_OPTIONS, type LimitFlatConfig } from './limit-options.js';

/** One server option: its flag, its environment variable, and how a string becomes a BrokerOptions value. */
export interface OptionSpec {
  flag: string;
  key: keyof FlatConfig;
  /** 'port': 0 = any free port, off = none; 'port0off': 0 (or off) = none, as the management issue asks. */
  kind: 'port' | 'port0off' | 'int' | 'number' | 'string' | 'bool' | 'list';
  help: string;
  defaultText?: string;
  /** A bool that is on by default: a --no-FLAG turns it off. */
  negatable?: boolean;
  /** The rabbitmq.conf key, accepted in config files too (vm_memory_high_watermark.relative, …). */
  rabbitmqKey?: string;
}

/** The flat, string-keyed form every source is read into before it becomes BrokerOptions. */
export interface FlatConfig extends AuthFlatConfig, LimitFlatConfig {
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
  streamPort?: number | null;
  streamsPort?: number | null;
  streamAdvertisedHost?: string;
  streamAdvertisedPort?: number | null;
  webMqttPort?: number | null;
  webStompPort?: number | null;
  webMqttTlsPort?: number | null;
  webStompTlsPort?: number | null;
  mqttTopicAliasMaximum?: number;
  prometheusTlsPort?: number | null;
  mqttQos2?: string;
  etcd?: string[];
  nodeName?: string;
  clusterPort?: number | null;
  clusterName?: string;
  clusterLeaseTtl?: number;
  clusterAdvertiseHost?: string;
  clusterAdvertisePort?: number;
  clusterSecret?: string;
}

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
  ...LIMIT_OPTIONS,
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
    flag: 'stream-port',
    key: 'streamPort',
    kind: 'port',
    help: 'RabbitMQ Stream protocol port (0 or off: none)',
    defaultText: '5552',
    rabbitmqKey: 'stream.listeners.tcp.default',
  },
  {
    flag: 'streams-port',
    key: 'streamsPort',
    kind: 'port',
    help: 'Stream protocol over TLS port (0 or off: none)',
    defaultText: '5551 with TLS',
    rabbitmqKey: 'stream.listeners.ssl.default',
  },
  {
    flag: 'stream-advertised-host',
    key: 'streamAdvertisedHost',
    kind: 'string',
    help: 'host stream clients are told to connect to (default: localhost on loopback, else the host name)',
    rabbitmqKey: 'stream.advertised_host',
  },
  {
    flag: 'stream-advertised-port',
    key: 'streamAdvertisedPort',
    kind: 'port',
    help: 'port stream clients are told to connect to (default: the listener port)',
    rabbitmqKey: 'stream.advertised_port',
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
    flag: 'mqtt-qos2',
    key: 'mqttQos2',
    kind: 'string',
    help: 'exactly-once|downgrade (downgrade: QoS 2 handled as QoS 1, as RabbitMQ does)',
    defaultText: 'exactly-once',
  },
  {
    flag: 'advertise-rabbitmq',
    key: 'advertiseRabbitmq',
    kind: 'bool',
    negatable: true,
    help: 'report product "RabbitMQ" with RabbitMQ\'s basic.qos semantics; --no-advertise-rabbitmq: product "Warren" with the spec\'s',
    defaultText: 'on',
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
    flag: 'prometheus-tls-port',
    key: 'prometheusTlsPort',
    kind: 'port0off',
    help: 'Prometheus /metrics over HTTPS with the --tls-* files (RabbitMQ prometheus.ssl.port: 15691)',
    defaultText: 'off',
    rabbitmqKey: 'prometheus.ssl.port',
  },
  ...AUTH_OPTIONS,
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
  // the cluster (issue 14): without --etcd none of these does anything
  { flag: 'etcd', key: 'etcd', kind: 'list', help: 'etcd client URLs, comma-separated: run as a node of a cluster' },
  {
    flag: 'node-name',
    key: 'nodeName',
    kind: 'string',
    help: 'this node (warren@NAME)',
    defaultText: 'localhost; host name in a cluster',
  },
  {
    flag: 'cluster-port',
    key: 'clusterPort',
    kind: 'port',
    help: 'inter-node (replication) port',
    defaultText: '25672',
  },
  {
    flag: 'cluster-name',
    key: 'clusterName',
    kind: 'string',
    help: "the cluster's name (its etcd prefix warren/NAME/, RabbitMQ's cluster_name)",
    defaultText: 'warren',
    rabbitmqKey: 'cluster_name',
  },
  {
    flag: 'cluster-lease-ttl',
    key: 'clusterLeaseTtl',
    kind: 'int',
    help: "seconds a node's etcd lease outlives its last keepalive (failover takes about this)",
    defaultText: '3',
  },
  {
    flag: 'cluster-secret',
    key: 'clusterSecret',
    kind: 'string',
    help: "the nodes' shared secret for log shipping (as the Erlang cookie; else ~/.warren.cookie, else etcd's)",
  },
  {
    flag: 'cluster-advertise-host',
    key: 'clusterAdvertiseHost',
    kind: 'string',
    help: 'host the other nodes reach this one at',
    defaultText: 'host name',
  },
  {
    flag: 'cluster-advertise-port',
    key: 'clusterAdvertisePort',
    kind: 'int',
    help: "port the other nodes reach this one's cluster port at (a NAT or proxy between)",
    defaultText: 'the cluster port',
  },
];
