// The options of startBroker(), with their defaults. The CLI (src/cli/) maps flags, WARREN_* environment
// variables and a config file onto this one shape; nothing else reads the environment.
import { parseSize } from './util/size.js';
import { type MemoryStrategy, type MemoryWatermark } from './core/memory-monitor.js';
import type { AuthBackendSpec, AuthCacheOptions } from './core/auth/chain.js';
import type { OAuth2Options } from './core/auth/oauth2.js';
import type { HttpAuthOptions } from './core/auth/http.js';
import { DEFAULT_CERT_LOGIN, type CertLoginOptions } from './core/auth/cert-login.js';
import type { LogLevel } from './util/logger.js';
import { diskFreeLimitBytes, diskFreeLimitSetting, type DiskFreeLimitSetting } from './core/disk-free-limit.js';
import type { ClusterInfo } from './core/cluster-info.js';

export type { LogLevel };

export interface TlsOptions {
  /** PEM certificate chain (contents or a path, see the CLI; here: contents). */
  cert: string | Buffer;
  key: string | Buffer;
  /** CA bundle for verifying peers. */
  ca?: string | Buffer;
  /** Ask clients for a certificate (RabbitMQ ssl_options.verify = verify_peer). */
  verifyPeer?: boolean;
  /** Refuse clients without a valid certificate (ssl_options.fail_if_no_peer_cert). */
  failIfNoPeerCert?: boolean;
}

export interface UserDefinition {
  name: string;
  password: string;
  tags?: string[];
}

export interface BrokerOptions {
  /** AMQP port; 0 picks a free one; null disables the listener. Default 5672. */
  amqpPort?: number | null;
  /** The same as `amqpPort` (`startBroker({ port: 0 })`); `amqpPort` wins when both are given. */
  port?: number | null;
  /** AMQP over TLS port (needs `tls`); null disables. Default: 5671 when `tls` is set, else off. */
  amqpsPort?: number | null;
  /** Interfaces to listen on. Default: every IPv4 and IPv6 interface. */
  bind?: string | string[];
  /** Where durable state lives. Default ./data. */
  dataDir?: string;
  /** 'memory' keeps everything in the process (for tests and embedding). Default 'file'. */
  storage?: 'file' | 'memory';
  tls?: TlsOptions | null;
  /** Default 'warn' (from code: only what goes wrong); `warren server` defaults to 'info'. */
  logLevel?: LogLevel;
  /** Heartbeat interval the server proposes in connection.tune, seconds (RabbitMQ default 60). */
  heartbeat?: number;
  /** frame_max the server proposes (RabbitMQ default 131072). */
  frameMax?: number;
  /** channel_max the server proposes (RabbitMQ default 2047). */
  channelMax?: number;
  /** Time allowed from TCP accept to connection.open, ms (RabbitMQ handshake_timeout 10000). */
  handshakeTimeout?: number;
  /** Unacked delivery older than this closes its channel with 406, ms (RabbitMQ consumer_timeout 1800000). */
  consumerTimeout?: number;
  /** Largest AMQP message body, bytes (RabbitMQ max_message_size: default 128 MiB, at most 512 MiB). */
  maxMessageSize?: number;
  /**
   * 'virtual': time-based behaviour (TTL, x-expires, delayed messages, x-requeue-delay, consumer timeouts,
   * heartbeats) runs on a clock that stands still until `broker.clock.advance()`; for tests. Default 'real'.
   */
  clock?: 'real' | 'virtual';
  /**
   * Default true: product "RabbitMQ" in connection.start server-properties, with RabbitMQ's basic.qos
   * semantics (global=false: each consumer started afterwards; global=true: the channel). Clients (kombu,
   * Celery) choose their QoS code path by that name. false: product "Warren" with the spec's semantics
   * (global=false: the whole channel, at once; global=true: the whole connection). See docs/compat.md.
   */
  advertiseRabbitmq?: boolean;
  /** Users created on an empty data directory. Default [{guest/guest, administrator}]. */
  defaultUsers?: UserDefinition[];
  /** Users who may log in only from loopback addresses (RabbitMQ loopback_users). Default ['guest']. */
  loopbackUsers?: string[];
  /** The vhost created on an empty data directory. Default '/'. */
  defaultVhost?: string;
  /**
   * Free disk space under which publishers are blocked (RabbitMQ disk_free_limit): bytes, or a string with
   * RabbitMQ's units ('50MB', '1GiB'). Default '50MB', as RabbitMQ.
   */
  diskFreeLimit?: number | string;
  /**
   * The same as a multiple of the total memory (RabbitMQ disk_free_limit.relative: 1.0 to 2.0 is what
   * RabbitMQ's production checklist advises, so that a full memory flush to disk fits). When set it wins
   * over diskFreeLimit. The total is RAM or the cgroup limit, or totalMemoryAvailableOverrideValue.
   */
  diskFreeLimitRelative?: number;
  /**
   * Memory high watermark as a fraction of the memory available (RAM, or the cgroup limit when lower), past
   * which publishers are blocked (RabbitMQ vm_memory_high_watermark.relative). Default 0.4, as RabbitMQ 3.x;
   * 0 blocks every publisher; above 1.0 counts as 1.0.
   */
  vmMemoryHighWatermark?: number;
  /**
   * Memory high watermark in bytes, or a string with RabbitMQ's units ('2GB', '1GiB'); overrides the relative
   * one (RabbitMQ vm_memory_high_watermark.absolute). Capped at the memory available. Default: none.
   */
  vmMemoryHighWatermarkAbsolute?: number | string | null;
  /**
   * What the watermark is compared with (RabbitMQ vm_memory_calculation_strategy): 'allocated' (default: V8
   * heap + message buffers + native overhead; falls when queues drain) or 'rss' (resident set size, which
   * the allocator may keep high after memory is freed). See src/core/memory-monitor.ts.
   */
  vmMemoryCalculationStrategy?: MemoryStrategy;
  /**
   * The total memory a relative watermark applies to, instead of what the OS reports (RabbitMQ
   * total_memory_available_override_value): bytes or a size ('4GiB'). Default: RAM, or the cgroup limit.
   */
  totalMemoryAvailableOverrideValue?: number | string | null;
  /** Target size of a message segment file, bytes (advanced; default 64 MiB). */
  segmentSize?: number | string;
  /**
   * Management HTTP API and UI port; 0 picks a free one; null disables. Default here: null (off), so
   * embedded brokers and tests never collide on a fixed port; `warren server` defaults it to 15672.
   */
  managementPort?: number | null;
  /** Management over HTTPS (uses `tls`); null disables. Default: off (RabbitMQ: 15671 when configured). */
  managementTlsPort?: number | null;
  /** Prometheus /metrics port; 0 picks a free one; null disables. Default null here, 15692 in `warren server`. */
  prometheusPort?: number | null;
  /** RabbitMQ definitions.json imported at every boot (RabbitMQ's load_definitions). Default none. */
  loadDefinitions?: string | null;
  /**
   * Cluster (issue 14, `startCluster` in src/cluster/): etcd client URLs. Without them Warren is one node and
   * nothing of the cluster starts; `startBroker` itself ignores the cluster options except the names.
   */
  etcd?: string | string[] | null;
  /**
   * This node's name (`warren@NAME`; a name with `@` is taken as it is). Default `warren@localhost` on its own,
   * `warren@<hostname>` as a node of a cluster.
   */
  nodeName?: string | null;
  /** Inter-node port (log shipping). Default 25672 (RabbitMQ's inter-node port); 0 picks a free one. */
  clusterPort?: number | null;
  /** The cluster's name: its etcd key prefix `warren/<name>/` and RabbitMQ's cluster_name. Default `warren`. */
  clusterName?: string | null;
  /** Seconds a node's etcd lease lives without a keepalive (leader loss → failover). Default 3. */
  clusterLeaseTtl?: number;
  /**
   * The nodes' shared secret for log shipping (RabbitMQ's Erlang cookie). Default: WARREN_CLUSTER_SECRET,
   * else ~/.warren.cookie, else one the cluster keeps in etcd.
   */
  clusterSecret?: string | null;
  /** Host the other nodes and proxies reach this node at. Default the host name. */
  clusterAdvertiseHost?: string | null;
  /**
   * Port the other nodes reach this node's cluster port at, when something between forwards it (a NAT, a
   * proxy; the fault-injecting proxy of the cluster tests). Default the cluster port itself.
   */
  clusterAdvertisePort?: number | null;
  /** Set by the cluster layer for the broker it starts: what management and ctl show of the cluster. */
  clusterInfo?: ClusterInfo | null;
  /** How often message rates are sampled, ms (RabbitMQ collect_statistics_interval). Default 5000. */
  statsInterval?: number;
  /**
   * MQTT port; 0 picks a free one; null (the default for startBroker) disables it. The CLI defaults it to
   * 1883 (RabbitMQ's), as it defaults the other protocol listeners below.
   */
  mqttPort?: number | null;
  /** MQTT over TLS port (needs `tls`); null disables (default). CLI: 8883 when TLS is configured. */
  mqttsPort?: number | null;
  /** STOMP port; 0 picks a free one; null disables (default). CLI: 61613. */
  stompPort?: number | null;
  /** STOMP over TLS port (needs `tls`); null disables (default). CLI: 61614 when TLS is configured. */
  stompsPort?: number | null;
  /** RabbitMQ Stream protocol port; 0 picks a free one; null disables (default). CLI: 5552. */
  streamPort?: number | null;
  /** Stream protocol over TLS (needs `tls`); null disables (default). CLI: 5551 when TLS is configured. */
  streamsPort?: number | null;
  /**
   * The host stream clients are told to connect to (Open's reply, Metadata; RabbitMQ stream.advertised_host).
   * Default: `localhost` on a loopback connection, else the machine's host name.
   */
  streamAdvertisedHost?: string | null;
  /** The port advertised to stream clients (stream.advertised_port). Default: the listener's port. */
  streamAdvertisedPort?: number | null;
  /** MQTT over WebSocket (path /ws); null disables (default). CLI: 15675. */
  webMqttPort?: number | null;
  /** STOMP over WebSocket (path /ws); null disables (default). CLI: 15674. */
  webStompPort?: number | null;
  /** MQTT over secure WebSocket (needs `tls`; RabbitMQ web_mqtt.ssl, 15676); null disables (default, CLI too). */
  webMqttTlsPort?: number | null;
  /** STOMP over secure WebSocket (needs `tls`; RabbitMQ web_stomp.ssl, 15673); null disables (default, CLI too). */
  webStompTlsPort?: number | null;
  /** Exchange MQTT publishes go to and subscriptions bind to (RabbitMQ mqtt.exchange). Default 'amq.topic'. */
  mqttExchange?: string;
  /** Vhost of MQTT connections whose username names none (RabbitMQ mqtt.vhost). Default '/'. */
  mqttVhost?: string;
  /**
   * MQTT 5 Topic Alias Maximum (RabbitMQ mqtt.topic_alias_maximum, default 16; 0: no aliases): the aliases
   * a client may use towards Warren, and the most Warren uses towards a client (also bounded by the client's).
   */
  mqttTopicAliasMaximum?: number;
  /**
   * MQTT QoS 2: 'exactly-once' (default) runs PUBREC/PUBREL/PUBCOMP both ways (as mosquitto and EMQX do);
   * 'downgrade' is RabbitMQ's behaviour (MQTT 3.1.1 QoS 2 publishes and subscriptions become QoS 1, MQTT 5
   * CONNACK says Maximum QoS 1).
   */
  mqttQos2?: 'exactly-once' | 'downgrade';
  /** User for MQTT connections without credentials (RabbitMQ mqtt.default_user/default_pass); null refuses them. */
  mqttDefaultUser?: { name: string; password: string } | null;
  /** User for STOMP CONNECT frames without login (RabbitMQ stomp.default_user/default_pass); null refuses them. */
  stompDefaultUser?: { name: string; password: string } | null;
  /**
   * RabbitMQ's auth_backends, tried in order: 'internal' (the user store), 'oauth2' (JWT tokens as
   * passwords, needs `oauth2`), 'http' (needs `authHttp`), 'cache' (http with a cache), or an
   * `{ authn, authz: 'internal' }` pair. Default ['internal'].
   */
  authBackends?: AuthBackendSpec[];
  /** The OAuth 2 backend's settings (auth_oauth2.*). */
  oauth2?: OAuth2Options | null;
  /** The HTTP backend's settings (auth_http.*). */
  authHttp?: HttpAuthOptions | null;
  /** rabbitmq_auth_backend_cache's settings (auth_cache.*), for the 'cache' backend. */
  authCache?: AuthCacheOptions;
  /**
   * Which certificate name a certificate login uses (ssl_cert_login_from, ssl_cert_login_san_type,
   * ssl_cert_login_san_index). Default: the distinguished name, as RabbitMQ.
   */
  certLogin?: Partial<CertLoginOptions>;
  /** MQTT over TLS: a verified client certificate logs in without a password (mqtt.ssl_cert_login). */
  mqttSslCertLogin?: boolean;
  /** STOMP over TLS: a verified client certificate logs in without a login (stomp.ssl_cert_login). */
  stompSslCertLogin?: boolean;
  /** Prometheus /metrics over HTTPS with `tls` (RabbitMQ prometheus.ssl.port, 15691); null disables (default). */
  prometheusTlsPort?: number | null;
}

export interface ResolvedOptions {
  amqpPort: number | null;
  amqpsPort: number | null;
  bind: string[];
  dataDir: string;
  storage: 'file' | 'memory';
  tls: TlsOptions | null;
  logLevel: LogLevel;
  heartbeat: number;
  frameMax: number;
  channelMax: number;
  handshakeTimeout: number;
  consumerTimeout: number;
  maxMessageSize: number;
  clock: 'real' | 'virtual';
  advertiseRabbitmq: boolean;
  defaultUsers: UserDefinition[];
  loopbackUsers: string[];
  defaultVhost: string;
  /** The disk_free_limit at start, in bytes (the running value: RunningBroker.diskFreeLimit). */
  diskFreeLimit: number;
  /** The same as set: bytes, or a multiple of the total memory (set_disk_free_limit changes it). */
  diskFreeLimitSetting: DiskFreeLimitSetting;
  memoryHighWatermark: MemoryWatermark;
  memoryCalculationStrategy: MemoryStrategy;
  /** total_memory_available_override_value in bytes, or null (detect). */
  totalMemory: number | null;
  segmentSize: number;
  managementPort: number | null;
  managementTlsPort: number | null;
  prometheusPort: number | null;
  loadDefinitions: string | null;
  /** `warren@NAME` when nodeName was given (else `warren@localhost` on its own, `warren@<hostname>` in a cluster). */
  nodeName: string | null;
  clusterName: string | null;
  clusterInfo: ClusterInfo | null;
  statsInterval: number;
  mqttPort: number | null;
  mqttsPort: number | null;
  stompPort: number | null;
  stompsPort: number | null;
  streamPort: number | null;
  streamsPort: number | null;
  streamAdvertisedHost: string | null;
  streamAdvertisedPort: number | null;
  webMqttPort: number | null;
  webStompPort: number | null;
  webMqttTlsPort: number | null;
  webStompTlsPort: number | null;
  mqttExchange: string;
  mqttVhost: string;
  mqttTopicAliasMaximum: number;
  mqttQos2: 'exactly-once' | 'downgrade';
  mqttDefaultUser: { name: string; password: string };
  stompDefaultUser: { name: string; password: string } | null;
  authBackends: AuthBackendSpec[];
  oauth2: OAuth2Options | null;
  authHttp: HttpAuthOptions | null;
  authCache: AuthCacheOptions;
  certLogin: CertLoginOptions;
  mqttSslCertLogin: boolean;
  stompSslCertLogin: boolean;
  prometheusTlsPort: number | null;
}

export function resolveOptions(o: BrokerOptions = {}): ResolvedOptions {
  const tls = o.tls ?? null;
  return {
    amqpPort: o.amqpPort !== undefined ? o.amqpPort : o.port !== undefined ? o.port : 5672,
    amqpsPort: o.amqpsPort === undefined ? (tls ? 5671 : null) : o.amqpsPort,
    bind: o.bind === undefined ? ['::'] : Array.isArray(o.bind) ? o.bind : [o.bind],
    dataDir: o.dataDir ?? './data',
    storage: o.storage ?? 'file',
    tls,
    // embedded (a test suite's broker) it says only what is wrong; `warren server` defaults to info
    logLevel: o.logLevel ?? 'warn',
    heartbeat: o.heartbeat ?? 60,
    frameMax: o.frameMax ?? 131072,
    channelMax: o.channelMax ?? 2047,
    handshakeTimeout: o.handshakeTimeout ?? 10000,
    consumerTimeout: o.consumerTimeout ?? 1800000,
    // rabbit_channel:get_max_message_size/0 caps it at ?MAX_MSG_SIZE (512 MiB)
    maxMessageSize: Math.min(o.maxMessageSize ?? 134217728, 536870912),
    clock: o.clock ?? 'real',
    advertiseRabbitmq: o.advertiseRabbitmq ?? true,
    defaultUsers: o.defaultUsers ?? [{ name: 'guest', password: 'guest', tags: ['administrator'] }],
    loopbackUsers: o.loopbackUsers ?? ['guest'],
    defaultVhost: o.defaultVhost ?? '/',
    diskFreeLimit: diskFreeLimitBytes(o),
    diskFreeLimitSetting: diskFreeLimitSetting(o),
    memoryHighWatermark: memoryWatermark(o),
    memoryCalculationStrategy: memoryStrategy(o.vmMemoryCalculationStrategy),
    totalMemory:
      o.totalMemoryAvailableOverrideValue === undefined || o.totalMemoryAvailableOverrideValue === null
        ? null
        : parseSize(o.totalMemoryAvailableOverrideValue, 'totalMemoryAvailableOverrideValue'),
    segmentSize: Math.max(4096, parseSize(o.segmentSize ?? 64 * 1024 * 1024, 'segmentSize')),
    managementPort: o.managementPort ?? null,
    managementTlsPort: o.managementTlsPort ?? null,
    prometheusPort: o.prometheusPort ?? null,
    loadDefinitions: o.loadDefinitions ?? null,
    nodeName: o.nodeName ? fullNodeName(o.nodeName) : null,
    clusterName: o.clusterName ?? null,
    clusterInfo: o.clusterInfo ?? null,
    statsInterval: o.statsInterval ?? 5000,
    mqttPort: o.mqttPort ?? null,
    mqttsPort: o.mqttsPort ?? null,
    stompPort: o.stompPort ?? null,
    stompsPort: o.stompsPort ?? null,
    streamPort: o.streamPort ?? null,
    streamsPort: o.streamsPort ?? null,
    streamAdvertisedHost: o.streamAdvertisedHost ?? null,
    streamAdvertisedPort: o.streamAdvertisedPort ?? null,
    webMqttPort: o.webMqttPort ?? null,
    webStompPort: o.webStompPort ?? null,
    webMqttTlsPort: o.webMqttTlsPort ?? null,
    webStompTlsPort: o.webStompTlsPort ?? null,
    mqttExchange: o.mqttExchange ?? 'amq.topic',
    mqttVhost: o.mqttVhost ?? '/',
    mqttTopicAliasMaximum: Math.max(0, Math.min(o.mqttTopicAliasMaximum ?? 16, 65535)),
    mqttQos2: o.mqttQos2 ?? 'exactly-once',
    // null: anonymous connections are refused (the name can never authenticate)
    mqttDefaultUser: o.mqttDefaultUser === null ? { name: '', password: '' } : (o.mqttDefaultUser ?? guest()),
    stompDefaultUser: o.stompDefaultUser === undefined ? guest() : o.stompDefaultUser,
    authBackends: o.authBackends ?? ['internal'],
    oauth2: o.oauth2 ?? null,
    authHttp: o.authHttp ?? null,
    authCache: o.authCache ?? {},
    certLogin: { ...DEFAULT_CERT_LOGIN, ...(o.certLogin ?? {}) },
    mqttSslCertLogin: o.mqttSslCertLogin ?? false,
    stompSslCertLogin: o.stompSslCertLogin ?? false,
    prometheusTlsPort: o.prometheusTlsPort ?? null,
  };
}

function memoryWatermark(o: BrokerOptions): MemoryWatermark {
  const abs = o.vmMemoryHighWatermarkAbsolute;
  if (abs !== undefined && abs !== null) return { absolute: parseSize(abs, 'vmMemoryHighWatermarkAbsolute') };
  const rel = o.vmMemoryHighWatermark ?? 0.4;
  if (typeof rel !== 'number' || !Number.isFinite(rel) || rel < 0) {
    throw new Error(`vmMemoryHighWatermark: expected a fraction such as 0.4, got ${String(rel)}`);
  }
  return { relative: rel };
}

function memoryStrategy(s: string | undefined): MemoryStrategy {
  if (s === undefined) return 'allocated';
  if (s !== 'allocated' && s !== 'rss') {
    throw new Error(`vmMemoryCalculationStrategy: expected allocated or rss, got '${s}'`);
  }
  return s;
}

/** RabbitMQ's node names are `prefix@host`: a bare name becomes `warren@NAME`. */
export function fullNodeName(name: string): string {
  return name.includes('@') ? name : `warren@${name}`;
}

function guest(): { name: string; password: string } {
  return { name: 'guest', password: 'guest' };
}
