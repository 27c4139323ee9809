// startBroker(): builds the core from options, restores durable state, starts the listeners, and returns
// the bound ports and a close() that shuts down cleanly (connections get 320 CONNECTION_FORCED, storage
// is flushed). The CLI and the tests both start Warren through this.
import { Broker } from './core/broker.js';
import { resolveOptions, type BrokerOptions, type ResolvedOptions } from './options.js';
import { AmqpServer } from './frontend/amqp/server.js';
import { amqpFormat } from './frontend/amqp/format.js';
import { listen, listenAll, type Listening } from './frontend/net/listener.js';
import { listenWebSocket } from './frontend/net/websocket.js';
import { MqttServer } from './frontend/mqtt/server.js';
import { FileQos2Store, Qos2Store } from './frontend/mqtt/qos2-store.js';
import { FileRetainedStore, MemoryRetainedStore } from './frontend/mqtt/retained.js';
import { StompServer } from './frontend/stomp/server.js';
import { StreamServer } from './frontend/stream/server.js';
import { createLogger, type Logger } from './util/logger.js';
import { openStorage, type Storage } from './storage/storage.js';
import { VERSION } from './version.js';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { importDefinitions, type Definitions } from './storage/definitions.js';
import { ManagementServer } from './management/server.js';
import { createPrometheusServer } from './management/prometheus.js';
import { RateSampler } from './management/rates.js';
import type { Management } from './management/context.js';
import { availableMemory, MemoryMonitor } from './core/memory-monitor.js';
import { DiskFreeLimit } from './core/disk-free-limit.js';
import { buildChain } from './core/auth/chain.js';
import { releaseVirtualClock, useVirtualClock, type VirtualClock } from './util/clock.js';
import { makeFaults, type Faults } from './controls/faults.js';
import { healDisk } from './storage/io.js';
import { inspectQueue, type QueueInspection } from './controls/inspect.js';

export interface RunningBroker {
  /** Bound AMQP port, or null when the listener is off. */
  amqpPort: number | null;
  /** The same as `amqpPort`. */
  port: number | null;
  /** Bound AMQPS port, or null. */
  amqpsPort: number | null;
  /** Bound management HTTP port, or null when off. */
  managementPort: number | null;
  /** Bound management HTTPS port, or null. */
  managementTlsPort: number | null;
  /** Bound Prometheus port, or null when off. */
  prometheusPort: number | null;
  /** Bound Prometheus HTTPS port (prometheus.ssl.port), or null when off. */
  prometheusTlsPort: number | null;
  /** Bound MQTT, MQTTS, STOMP, STOMPS, Web-MQTT and Web-STOMP ports, each null when off. */
  mqttPort: number | null;
  mqttsPort: number | null;
  stompPort: number | null;
  stompsPort: number | null;
  webMqttPort: number | null;
  webStompPort: number | null;
  /** Bound Stream protocol ports (plain, TLS), each null when off. */
  streamPort: number | null;
  streamsPort: number | null;
  /** Bound secure WebSocket (wss) ports, null when off. */
  webMqttTlsPort: number | null;
  webStompTlsPort: number | null;
  broker: Broker;
  options: ResolvedOptions;
  /** The memory alarm's monitor: memory used, the watermark, setWatermark() (set_vm_memory_high_watermark). */
  memory: MemoryMonitor;
  /** disk_free_limit: `limit` in bytes, set() takes effect at once (set_disk_free_limit). */
  diskFreeLimit: DiskFreeLimit;
  /**
   * The virtual clock (startBroker({ clock: 'virtual' })): `clock.advance('30m')` fires TTLs, x-expires,
   * delayed messages, requeue delays, consumer timeouts and heartbeats due meanwhile, in order. Null on
   * real time. See README "Embedding Warren in tests".
   */
  clock: VirtualClock | null;
  /** Faults on purpose: dropConnection, setMemoryAlarm, delay, failDisk / healDisk (controls/faults.ts). */
  faults: Faults;
  /** A queue's ready messages, length and consumers, without consuming (controls/inspect.ts). */
  queue(name: string, vhost?: string): QueueInspection;
  /** Clean shutdown. Idempotent. */
  close(): Promise<void>;
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const o = resolveOptions(options);
  // first, so that every timer the broker sets is on it (util/clock.ts)
  const clock = o.clock === 'virtual' ? useVirtualClock() : null;
  const log: Logger = createLogger(o.logLevel);
  const broker = new Broker({
    loopbackUsers: o.loopbackUsers,
    ...(o.nodeName !== null ? { nodeName: o.nodeName } : {}),
    ...(o.clusterName !== null ? { clusterName: o.clusterName } : {}),
  });
  // auth_backends: internal, oauth2, http, cache, in order (core/auth/chain.ts)
  broker.auth.chain = buildChain(broker.users, o);
  broker.auth.log = (msg) => log.warn(msg);
  // the content formats stored messages may be in (storage rebuilds messages read back from disk)
  const formats = new Map([[amqpFormat.name, amqpFormat]]);
  const storage: Storage = await openStorage(o, log, formats);
  // disk_free_limit as set; set_disk_free_limit changes it while running (core/disk-free-limit.ts)
  const diskFreeLimit = new DiskFreeLimit(o.diskFreeLimitSetting, o.totalMemory ?? availableMemory(), (m) =>
    log.info(m),
  );
  await storage.restore(broker, o, diskFreeLimit);
  if (o.loadDefinitions !== null) {
    // RabbitMQ's load_definitions: applied at every boot, over what storage restored
    const defs = JSON.parse(await readFile(o.loadDefinitions, 'utf8')) as Definitions;
    importDefinitions(broker, defs);
    log.info(`definitions imported from ${o.loadDefinitions}`);
  }
  // RabbitMQ's memory alarm: past the watermark every front end blocks its publishers (core/alarms.ts)
  let forcedMemoryAlarm: boolean | null = null;
  const memory = new MemoryMonitor({
    watermark: o.memoryHighWatermark,
    strategy: o.memoryCalculationStrategy,
    ...(o.totalMemory !== null ? { totalMemory: o.totalMemory } : {}),
    node: broker.nodeName,
    log,
    onChange: (on) => broker.alarms.set('memory', forcedMemoryAlarm ?? on),
  });
  memory.start();
  const amqp = new AmqpServer(broker, o, log);
  const retained = o.storage === 'file' ? await FileRetainedStore.open(o.dataDir, log) : new MemoryRetainedStore();
  const qos2 = o.storage === 'file' ? await FileQos2Store.open(o.dataDir, log) : new Qos2Store();
  const mqtt = new MqttServer(broker, o, log, retained, qos2);
  const stomp = new StompServer(broker, o, log);
  const stream = new StreamServer(broker, o, log);
  const listeners: Listening[] = [];
  const httpServers: Server[] = [];
  /** An HTTP listener on every bind address (as the AMQP ones); its servers are closed with the broker. */
  const listenHttp = async (make: () => Server, port: number, bind: string[]): Promise<number> => {
    const l = await listenAll(port, bind, make);
    httpServers.push(...l.servers);
    return l.port;
  };
  let amqpPort: number | null;
  let amqpsPort: number | null;
  const rates = new RateSampler(broker, o.statsInterval);
  const mgmt: Management = {
    broker,
    rates,
    options: o,
    memory,
    diskFreeLimit,
    ports: { amqp: null, amqps: null, management: null, prometheus: null, others: [] },
    nodeName: broker.nodeName,
    cluster: o.clusterInfo,
  };
  let managementPort: number | null = null;
  let managementTlsPort: number | null = null;
  let prometheusPort: number | null = null;
  let prometheusTlsPort: number | null = null;
  const ports: Record<
    | 'mqtt'
    | 'mqtts'
    | 'stomp'
    | 'stomps'
    | 'stream'
    | 'streams'
    | 'webMqtt'
    | 'webStomp'
    | 'webMqttTls'
    | 'webStompTls',
    number | null
  > = {
    mqtt: null,
    mqtts: null,
    stomp: null,
    stomps: null,
    stream: null,
    streams: null,
    webMqtt: null,
    webStomp: null,
    webMqttTls: null,
    webStompTls: null,
  };
  /** A TCP (TLS when `secure`) listener on every bind address; null when its option is off. */
  const tcp = async (
    option: string,
    port: number | null,
    name: string,
    onSocket: (s: Socket, transport: 'tcp' | 'tls') => void,
    secure: boolean,
  ): Promise<number | null> => {
    if (port === null) return null;
    if (secure && !o.tls) throw new Error(`${option} needs tls options (cert and key)`);
    const transport = secure ? 'tls' : 'tcp';
    const l = await listen(port, o.bind, (s) => onSocket(s, transport), secure ? o.tls : null, true);
    listeners.push(l);
    log.info(`${name} listening on ${o.bind.join(', ')} port ${l.port}`);
    return l.port;
  };
  const amqpSocket = (s: Socket) => amqp.handleSocket(s);
  /** MQTT and STOMP take any byte stream (TCP, TLS, WebSocket), named by its transport. */
  const streamSocket = (server: MqttServer | StompServer | StreamServer) => (s: Socket, transport: 'tcp' | 'tls') =>
    server.handleStream(s, s.remoteAddress ?? '', transport);
  const web = async (
    key: 'webMqtt' | 'webStomp' | 'webMqttTls' | 'webStompTls',
    port: number | null,
    name: string,
    server: MqttServer | StompServer,
    protocols: string[],
    secure = false,
  ) => {
    if (port === null) return;
    if (secure && !o.tls) throw new Error(`${key}Port needs tls options (cert and key)`);
    const l = await listenWebSocket({
      port,
      hosts: o.bind,
      path: '/ws',
      protocols,
      tls: secure ? o.tls : null,
      textFrames: server instanceof StompServer,
      onStream: (stream, addr) => server.handleStream(stream, addr, secure ? 'wss' : 'websocket'),
    });
    listeners.push(l);
    ports[key] = l.port;
    log.info(`${name} listening on ${o.bind.join(', ')} port ${l.port} path /ws`);
  };
  try {
    amqpPort = await tcp('amqpPort', o.amqpPort, 'AMQP 0-9-1', amqpSocket, false);
    amqpsPort = await tcp('amqpsPort', o.amqpsPort, 'AMQP 0-9-1 over TLS', amqpSocket, true);
    mgmt.ports.amqp = amqpPort;
    mgmt.ports.amqps = amqpsPort;
    const ms = new ManagementServer(mgmt, log);
    if (o.managementPort !== null) {
      managementPort = mgmt.ports.management = await listenHttp(() => ms.createServer(null), o.managementPort, o.bind);
      log.info(`management API and UI listening on ${o.bind.join(', ')} port ${managementPort}`);
    }
    if (o.managementTlsPort !== null) {
      if (!o.tls) throw new Error('managementTlsPort needs tls options (cert and key)');
      const tlsOpts = o.tls;
      managementTlsPort = await listenHttp(() => ms.createServer(tlsOpts), o.managementTlsPort, o.bind);
      log.info(`management API over HTTPS listening on port ${managementTlsPort}`);
    }
    if (o.prometheusPort !== null) {
      prometheusPort = mgmt.ports.prometheus = await listenHttp(
        () => createPrometheusServer(mgmt),
        o.prometheusPort,
        o.bind,
      );
      log.info(`Prometheus metrics listening on ${o.bind.join(', ')} port ${prometheusPort}`);
    }
    if (o.prometheusTlsPort !== null) {
      // RabbitMQ's prometheus.ssl.port (15691): the same metrics over HTTPS with the broker's TLS files
      if (!o.tls) throw new Error('prometheusTlsPort needs tls options (cert and key)');
      const tlsOpts = o.tls;
      prometheusTlsPort = await listenHttp(() => createPrometheusServer(mgmt, tlsOpts), o.prometheusTlsPort, o.bind);
      log.info(`Prometheus metrics over HTTPS listening on ${o.bind.join(', ')} port ${prometheusTlsPort}`);
    }
    if (httpServers.length > 0) rates.start();
    ports.mqtt = await tcp('mqttPort', o.mqttPort, 'MQTT', streamSocket(mqtt), false);
    ports.mqtts = await tcp('mqttsPort', o.mqttsPort, 'MQTT over TLS', streamSocket(mqtt), true);
    ports.stomp = await tcp('stompPort', o.stompPort, 'STOMP', streamSocket(stomp), false);
    ports.stomps = await tcp('stompsPort', o.stompsPort, 'STOMP over TLS', streamSocket(stomp), true);
    ports.stream = await tcp('streamPort', o.streamPort, 'Stream protocol', streamSocket(stream), false);
    ports.streams = await tcp('streamsPort', o.streamsPort, 'Stream protocol over TLS', streamSocket(stream), true);
    await web('webMqtt', o.webMqttPort, 'Web-MQTT', mqtt, ['mqtt', 'mqttv3.1']);
    await web('webStomp', o.webStompPort, 'Web-STOMP', stomp, ['v12.stomp', 'v11.stomp', 'v10.stomp', 'stomp']);
    await web('webMqttTls', o.webMqttTlsPort, 'Web-MQTT over TLS', mqtt, ['mqtt', 'mqttv3.1'], true);
    await web(
      'webStompTls',
      o.webStompTlsPort,
      'Web-STOMP over TLS',
      stomp,
      ['v12.stomp', 'v11.stomp', 'v10.stomp', 'stomp'],
      true,
    );
    // management lists them with RabbitMQ's protocol names
    const names: Record<keyof typeof ports, string> = {
      mqtt: 'mqtt',
      mqtts: 'mqtt/ssl',
      stomp: 'stomp',
      stomps: 'stomp/ssl',
      stream: 'stream',
      streams: 'stream/ssl',
      webMqtt: 'http/web-mqtt',
      webStomp: 'http/web-stomp',
      webMqttTls: 'https/web-mqtt',
      webStompTls: 'https/web-stomp',
    };
    for (const k of Object.keys(names) as (keyof typeof ports)[]) {
      const p = ports[k];
      if (p !== null) mgmt.ports.others.push({ protocol: names[k], port: p });
    }
  } catch (e) {
    memory.stop();
    await Promise.all(httpServers.map(closeHttp));
    await Promise.all(listeners.map((l) => l.close()));
    await mqtt.close();
    await stomp.close();
    await stream.close();
    await storage.close();
    if (clock !== null) releaseVirtualClock();
    throw e;
  }
  log.info({ version: VERSION, dataDir: o.storage === 'file' ? o.dataDir : null }, 'Warren started');
  let closing: Promise<void> | null = null;
  return {
    amqpPort,
    port: amqpPort,
    amqpsPort,
    managementPort,
    managementTlsPort,
    prometheusPort,
    prometheusTlsPort,
    mqttPort: ports.mqtt,
    mqttsPort: ports.mqtts,
    stompPort: ports.stomp,
    stompsPort: ports.stomps,
    streamPort: ports.stream,
    streamsPort: ports.streams,
    webMqttPort: ports.webMqtt,
    webStompPort: ports.webStomp,
    webMqttTlsPort: ports.webMqttTls,
    webStompTlsPort: ports.webStompTls,
    broker,
    options: o,
    memory,
    diskFreeLimit,
    clock,
    faults: makeFaults(
      broker,
      (on) => {
        forcedMemoryAlarm = on;
        broker.alarms.set('memory', on ?? memory.alarmed);
      },
      o.storage === 'file' ? o.dataDir : null,
    ),
    queue: (name, vhost) => inspectQueue(broker, name, vhost),
    close() {
      closing ??= (async () => {
        // Stop accepting first; server.close() resolves only once every socket has gone, so the
        // connections are closed (320 CONNECTION_FORCED) before the listeners are awaited.
        rates.stop();
        memory.stop();
        const stopped = Promise.all(listeners.map((l) => l.close()));
        await Promise.all(httpServers.map(closeHttp));
        await Promise.all([amqp.close(), mqtt.close(), stomp.close(), stream.close()]);
        await stopped;
        await storage.close();
        // a disk fault a test left armed ends with its broker (the next broker on the directory starts clean)
        if (o.storage === 'file') healDisk(o.dataDir);
        if (clock !== null) releaseVirtualClock();
        log.info('Warren stopped');
      })();
      return closing;
    },
  };
}

/** Listen on the first bind address (HTTP needs one server per address; Warren binds the first). */
function closeHttp(s: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!s.listening) return resolve();
    s.close(() => resolve());
    s.closeAllConnections();
  });
}
