// startBroker(): builds the core from options, restores durable state, starts the listeners, and returns
// the bound ports and a close() that shuts down cleanly (connections get 320 CONNECTION_FORCED, storage
// is flushed). The CLI and the tests both start Warren through this.
import { Broker } from './core/broker.js';
import { resolveOptions, type BrokerOptions, type ResolvedOptions } from './options.js';
import { AmqpServer } from './frontend/amqp/server.js';
import { amqpFormat } from './frontend/amqp/format.js';
import { listen, type Listening } from './frontend/net/listener.js';
import { createLogger, type Logger } from './util/logger.js';
import { openStorage, type Storage } from './storage/storage.js';
import { VERSION } from './version.js';

export interface RunningBroker {
  /** Bound AMQP port, or null when the listener is off. */
  amqpPort: number | null;
  /** Bound AMQPS port, or null. */
  amqpsPort: number | null;
  broker: Broker;
  options: ResolvedOptions;
  /** Clean shutdown. Idempotent. */
  close(): Promise<void>;
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const o = resolveOptions(options);
  const log: Logger = createLogger(o.logLevel);
  const broker = new Broker({ loopbackUsers: o.loopbackUsers });
  // the content formats stored messages may be in (storage rebuilds messages read back from disk)
  const formats = new Map([[amqpFormat.name, amqpFormat]]);
  const storage: Storage = await openStorage(o, log, formats);
  await storage.restore(broker, o);
  const amqp = new AmqpServer(broker, o, log);
  const listeners: Listening[] = [];
  let amqpPort: number | null = null;
  let amqpsPort: number | null = null;
  try {
    if (o.amqpPort !== null) {
      const l = await listen(o.amqpPort, o.bind, (s) => amqp.handleSocket(s));
      listeners.push(l);
      amqpPort = l.port;
      log.info(`AMQP 0-9-1 listening on ${o.bind.join(', ')} port ${l.port}`);
    }
    if (o.amqpsPort !== null) {
      if (!o.tls) throw new Error('amqpsPort needs tls options (cert and key)');
      const l = await listen(o.amqpsPort, o.bind, (s) => amqp.handleSocket(s), o.tls);
      listeners.push(l);
      amqpsPort = l.port;
      log.info(`AMQP 0-9-1 over TLS listening on ${o.bind.join(', ')} port ${l.port}`);
    }
  } catch (e) {
    await Promise.all(listeners.map((l) => l.close()));
    await storage.close();
    throw e;
  }
  log.info({ version: VERSION, dataDir: o.storage === 'file' ? o.dataDir : null }, 'Warren started');
  let closing: Promise<void> | null = null;
  return {
    amqpPort,
    amqpsPort,
    broker,
    options: o,
    close() {
      closing ??= (async () => {
        // Stop accepting first; server.close() resolves only once every socket has gone, so the
        // connections are closed (320 CONNECTION_FORCED) before the listeners are awaited.
        const stopped = Promise.all(listeners.map((l) => l.close()));
        await amqp.close();
        await stopped;
        await storage.close();
        log.info('Warren stopped');
      })();
      return closing;
    },
  };
}
