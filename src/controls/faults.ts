// broker.faults: faults a test can cause on purpose, each as the broker itself would cause it.
//   dropConnection: as the management API's DELETE /api/connections/NAME (the client gets connection.close
//     320 CONNECTION_FORCED with the reason), or { abrupt: true }: the socket is destroyed, as a network
//     failure or a killed broker would leave it (no close frame; the client sees ECONNRESET / end).
//   setMemoryAlarm: raises or clears the memory alarm as the memory monitor does (publishers are blocked:
//     AMQP connection.blocked, MQTT and STOMP not read); null hands it back to the monitor.
//   delay: a queue's deliveries are held back (a message goes out no earlier than ms after it was published).
import type { Broker, ClientConnection } from '../core/broker.js';
import { connectionName } from '../management/views.js';

export interface DropOptions {
  /** Destroy the socket instead of closing the connection properly. Default false. */
  abrupt?: boolean;
  /** The close reason (AMQP close text, STOMP ERROR). Default "Closed via management plugin", as RabbitMQ. */
  reason?: string;
}

export interface Faults {
  /**
   * Close every connection with this name: the management name ("127.0.0.1:50000 -> 127.0.0.1:5672") or the
   * client-provided connection_name. Returns how many were closed; throws when there is none.
   */
  dropConnection(name: string, options?: DropOptions): number;
  /** Raise (true) or clear (false) the memory alarm; null: the memory monitor decides again. */
  setMemoryAlarm(on: boolean | null): void;
  /** Hold back deliveries from a queue by `ms` (0 ends it). Throws when the queue does not exist. */
  delay(queue: string, ms: number, vhost?: string): void;
}

/** The management name of a connection ("client address:port -> server address:port"). */
function names(c: ClientConnection): string[] {
  const out = [connectionName(c)];
  const given = c.clientProperties?.['connection_name'];
  if (typeof given === 'string') out.push(given);
  return out;
}

export function makeFaults(broker: Broker, memoryAlarm: (on: boolean | null) => void): Faults {
  return {
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
