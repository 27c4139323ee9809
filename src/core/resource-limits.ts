// Per-user limits (max-connections, max-channels: rabbitmqctl set_user_limits) with RabbitMQ's refusals.
// A negative value, or none, means no limit, as in RabbitMQ. (Vhost limits live in Broker.vhostSettings,
// with the management work.)
import { notAllowed, preconditionFailed, type BrokerError } from './errors.js';

export interface UserLimits {
  'max-connections'?: number;
  'max-channels'?: number;
}

/** The limit as a number >= 0, or -1 for none. */
export function limitOf(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : -1;
}

/** Only the keys RabbitMQ knows, each an integer (negative = no limit). */
export function checkLimits(l: Record<string, unknown>, keys: readonly string[]): void {
  for (const [k, v] of Object.entries(l)) {
    if (!keys.includes(k)) throw preconditionFailed(`Unrecognised terms ${JSON.stringify([k])} in limits`);
    if (typeof v !== 'number' || !Number.isInteger(v))
      throw preconditionFailed(`Validation failed: ${k} must be an integer`);
  }
}

export const USER_LIMIT_KEYS = ['max-connections', 'max-channels'] as const;

export const userConnectionLimit = (user: string, n: number): BrokerError =>
  notAllowed(`connection refused for user '${user}': user connection limit (${n}) is reached`);

export const userChannelLimit = (user: string, n: number): BrokerError =>
  notAllowed(`number of channels opened for user '${user}' has reached the maximum allowed user limit of (${n})`);

/**
 * rabbit_channel check_vhost_queue_limit: a new queue past the vhost's max-queues is refused (406), whether
 * AMQP, MQTT, STOMP or the management API declares it. Recovery and definitions import do not pass here.
 */
export function checkVhostQueueLimit(
  vhost: string,
  max: number,
  queues: ReadonlyMap<string, unknown>,
  name: string,
): void {
  if (max >= 0 && queues.size >= max && !queues.has(name)) {
    throw preconditionFailed(`cannot declare queue '${name}': queue limit in vhost '${vhost}' (${max}) is reached`);
  }
}
