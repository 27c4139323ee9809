// The core's error catalog: protocol-neutral, each front end maps a kind once (AMQP: reply codes and the
// "NOT_FOUND - " text prefix; later MQTT/STOMP/HTTP). Texts are RabbitMQ's wording without that prefix.
// Expected outcomes on hot paths (unroutable, overflow) are return values, not these.

export type ErrorKind =
  | 'NOT_FOUND'
  | 'ACCESS_REFUSED'
  | 'PRECONDITION_FAILED'
  | 'RESOURCE_LOCKED'
  | 'RESOURCE_ERROR'
  | 'NOT_ALLOWED'
  | 'NOT_IMPLEMENTED'
  | 'COMMAND_INVALID'
  | 'INTERNAL_ERROR';

export class BrokerError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    // an answer to a client needs no stack (util/stackless-error.ts); an internal error keeps its own
    const limit = Error.stackTraceLimit;
    if (kind !== 'INTERNAL_ERROR') Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}

export const notFound = (text: string): BrokerError => new BrokerError('NOT_FOUND', text);
export const accessRefused = (text: string): BrokerError => new BrokerError('ACCESS_REFUSED', text);
export const preconditionFailed = (text: string): BrokerError => new BrokerError('PRECONDITION_FAILED', text);
export const resourceLocked = (text: string): BrokerError => new BrokerError('RESOURCE_LOCKED', text);
export const notAllowed = (text: string): BrokerError => new BrokerError('NOT_ALLOWED', text);
export const commandInvalid = (text: string): BrokerError => new BrokerError('COMMAND_INVALID', text);
export const notImplemented = (text: string): BrokerError => new BrokerError('NOT_IMPLEMENTED', text);

/** "queue 'q' in vhost '/'" as RabbitMQ's rabbit_misc:rs/1 renders a resource. */
export function rs(kind: 'queue' | 'exchange', name: string, vhost: string): string {
  return `${kind} '${name}' in vhost '${vhost}'`;
}
