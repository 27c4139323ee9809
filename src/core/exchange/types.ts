// The exchange types a declare may name (rabbit_registry's exchange types): the four of AMQP 0-9-1 and the
// two plugins' types Warren has built in (rabbitmq-delayed-message-exchange, rabbitmq-message-deduplication).
import { commandInvalid } from '../errors.js';
import { DeduplicationExchange, validateDeduplicationArgs } from './deduplication.js';
import { DelayedExchange, validateDelayedArgs } from './delayed.js';
import { DirectExchange } from './direct.js';
import type { Exchange } from './exchange.js';
import { FanoutExchange } from './fanout.js';
import { HeadersExchange } from './headers.js';
import { TopicExchange } from './topic.js';
import { unregisteredExchangeTypeText } from './type-error.js';

const EXCHANGE_TYPES: Record<string, new (...a: ConstructorParameters<typeof DirectExchange>) => Exchange> = {
  direct: DirectExchange,
  fanout: FanoutExchange,
  topic: TopicExchange,
  headers: HeadersExchange,
  'x-delayed-message': DelayedExchange,
  'x-message-deduplication': DeduplicationExchange,
};

/** 503 for an unregistered type (RabbitMQ's text: type-error.ts); a new plugin exchange's arguments are checked (a redeclare's are compared instead). */
export function validateExchangeType(d: { type: string; args: Record<string, unknown> }, exists: boolean): void {
  if (!(d.type in EXCHANGE_TYPES)) {
    throw commandInvalid(unregisteredExchangeTypeText(d.type));
  }
  if (d.type === 'x-delayed-message' && !exists) validateDelayedArgs(d.args);
  if (d.type === 'x-message-deduplication' && !exists) validateDeduplicationArgs(d.args);
}

/** A new exchange of a type validateExchangeType() accepted. */
export function newExchange(
  name: string,
  type: string,
  vhost: string,
  durable: boolean,
  autoDelete: boolean,
  internal: boolean,
  args: Record<string, unknown>,
): Exchange {
  const X = EXCHANGE_TYPES[type]!;
  return new X(name, vhost, durable, autoDelete, internal, args);
}
