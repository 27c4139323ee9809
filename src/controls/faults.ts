// broker.faults: faults a test can cause on purpose, each as the broker itself would cause it.
//   dropConnection: as the management API's DELETE /api/connections/NAME (the client gets connection.close
//     320 CONNECTION_FORCED with the reason), or { abrupt: true }: the socket is destroyed, as a network
//     failure or a killed broker would leave it (no close frame; the client sees ECONNRESET / end).
//   setMemoryAlarm: raises or clears the memory alarm as the memory monitor does (publishers are blocked:
//     AMQP connection.blocked, MQTT and STOMP not read); null hands it back to the monitor.
//   delay: a queue's deliveries are held back (a message goes out no earlier than ms after it was published).
//   failDisk / healDisk: the data directory's file calls fail (storage/io.ts, storage's one file-I/O seam)
//     as a full disk (ENOSPC), a failing one (EIO) or a read-only one (EROFS, EACCES) would make them.
import type { Broker, ClientConnection } from '../core/broker.js';
import { connectionName } from '../management/views.js';
import { failDisk, healDisk, type DiskFaultKind, type DiskFaultOp } from '../storage/io.js';

export type { DiskFaultKind, DiskFaultOp } from '../storage/io.js';

export interface DiskFaultOptions {
  /**
   * Which calls fail: 'write' (writes, and creating, renaming or deleting files), 'fsync', 'read', or 'all'
   * (default), or a list. ENOSPC, EROFS and EACCES never fail reads (a full or read-only disk still
   * reads); EROFS and EACCES fail writes only (there is then nothing to fsync).
   */
  on?: DiskFaultOp | DiskFaultOp[];
}

export interface DropOptions {
  /** Destroy the socket instead of closing the connection properly. Default false. */
  abrupt?: boolean;
  /** The close reason (AMQP close text, STOMP ERROR). Default "Closed via management plugin", as RabbitMQ. */
  reason?: string;
}

export interface Faults {
  /**
   * Close every connection with this name: the management name ("127.0.0.1:50000 -> 127.0.0.1:5672"), the
   * client-provided connection_name (AMQP) or the client identifier (MQTT). Returns how many were closed;
   * throws when there is none.
   */
  dropConnection(name: string, options?: DropOptions): number;
  /** Raise (true) or clear (false) the memory alarm; null: the memory monitor decides again. */
  setMemoryAlarm(on: boolean | null): void;
  /** Hold back deliveries from a queue by `ms` (0 ends it). Throws when the queue does not exist. */
  delay(queue: string, ms: number, vhost?: string): void;
  /**
   * Make the data directory's disk fail (until healDisk): every file call of storage (message log, stream
   * logs, definitions, queue ids, delayed/dedup logs, MQTT state) under it gets `kind` as an error. What
   * Warren does then: the disk alarm goes up (ENOSPC also reads as no free space), publishers are blocked,
   * nothing unwritten is confirmed, consumers keep draining; the failed writes are retried, and all is
   * back by itself once healed. Throws with storage 'memory' (no disk).
   */
  failDisk(kind: DiskFaultKind, options?: DiskFaultOptions): void;
  /** The disk works again (the alarm clears and the retried writes go through within a second). */
  healDisk(): void;
}

/**
 * The names a connection answers to: its management name ("client address:port -> server address:port"),
 * the connection_name an AMQP client gave, and an MQTT client's client identifier (client_properties
 * client_id, as RabbitMQ's MQTT plugin shows it), the name an MQTT test knows its client by.
 */
function names(c: ClientConnection): string[] {
  const out = [connectionName(c)];
  for (const key of ['connection_name', 'client_id']) {
    const given = c.clientProperties?.[key];
    if (typeof given === 'string') out.push(given);
  }
  return out;
}

export function makeFaults(
  broker: Broker,
  memoryAlarm: (on: boolean | null) => void,
  /** The data directory, or null with storage 'memory'. */
  dataDir: string | null,
): Faults {
  const disk = (): string => {
    if (dataDir === null) throw new Error("failDisk: storage is 'memory', there is no disk to fail");
    return dataDir;
  };
  return {
    failDisk(kind, options = {}) {
      if (!['ENOSPC', 'EIO', 'EROFS', 'EACCES'].includes(kind)) throw new RangeError(`unknown disk fault: ${kind}`);
      failDisk(disk(), kind, options.on ?? 'all');
    },
    healDisk() {
      healDisk(disk());
    },
    dropConnection(name, options = {}) {
      const hits = [...broker.connections.values()].filter((c) => names(c).includes(name));
      if (hits.length === 0) throw new Error(`no connection named '${name}'`);
      for (const c of hits) {
        if (options.abrupt === true && c.socket !== undefined) c.socket.destroy();
        else c.forceClose(options.reason ?? 'Closed via management plugin');
      }
      return hits.length;
    },
    setMemoryAlarm(on) {
      memoryAlarm(on);
    },
    delay(queue, ms, vhost = '/') {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`invalid delay: ${ms}`);
      const q = broker.vhosts.get(vhost)?.queues.get(queue);
      if (q === undefined) throw new Error(`no queue '${queue}' in vhost '${vhost}'`);
      q.holdMs = ms;
      if (ms === 0) q.dispatch();
    },
  };
}
