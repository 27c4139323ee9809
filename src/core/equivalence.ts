// A redeclare must match what exists (amqp0-9-1.xml exchange.declare / queue.declare "If [the entity] exists
// ... the server MUST check that the existing [entity] has the same values"): RabbitMQ's 406
// PRECONDITION_FAILED "inequivalent arg" texts for the flags here, for the x-arguments in arguments.ts. And a
// binding's own arguments are checked here too (headers exchange x-match).
import { checkExchangeArgsEquivalence, checkQueueArgsEquivalence } from './arguments.js';
import type { ExchangeDeclare, QueueDeclare } from './declare.js';
import { preconditionFailed, type BrokerError } from './errors.js';
import type { Exchange } from './exchange/exchange.js';
import type { Queue } from './queue/queue.js';

/** `r`: the resource as RabbitMQ names it in errors (errors.ts rs()). */
export function checkExchangeEquivalent(existing: Exchange, d: ExchangeDeclare, r: string): void {
  if (existing.type !== d.type) throw inequivalent('type', r, `'${d.type}'`, `'${existing.type}'`);
  if (existing.durable !== d.durable) throw inequivalent('durable', r, `'${d.durable}'`, `'${existing.durable}'`);
  if (existing.autoDelete !== d.autoDelete)
    throw inequivalent('auto_delete', r, `'${d.autoDelete}'`, `'${existing.autoDelete}'`);
  if (existing.internal !== d.internal) throw inequivalent('internal', r, `'${d.internal}'`, `'${existing.internal}'`);
  checkExchangeArgsEquivalence(existing.args, existing.argTypes, d.args, d.argTypes ?? {}, r);
}

export function checkQueueEquivalent(existing: Queue, d: QueueDeclare, r: string): void {
  if (existing.durable !== d.durable) throw inequivalent('durable', r, `'${d.durable}'`, `'${existing.durable}'`);
  if (existing.autoDelete !== d.autoDelete)
    throw inequivalent('auto_delete', r, `'${d.autoDelete}'`, `'${existing.autoDelete}'`);
  // exclusive is not compared here: vhost.ts declareQueue's strict owner check (405) comes first.
  checkQueueArgsEquivalence(existing.type, existing.args, existing.argTypes, d.args, d.argTypes ?? {}, r);
}

/** rabbit_exchange_type_headers:validate_binding/2: x-match must be one of the four modes. */
export function validateBinding(x: Exchange, args: Record<string, unknown>): void {
  if (x.type !== 'headers' || !('x-match' in args)) return;
  const m = args['x-match'];
  if (m === 'all' || m === 'any' || m === 'all-with-x' || m === 'any-with-x') return;
  throw preconditionFailed(
    `Invalid x-match field value <<"${String(m)}">>; expected all, any, all-with-x, or any-with-x`,
  );
}

function inequivalent(key: string, resource: string, received: string, current: string): BrokerError {
  return preconditionFailed(
    `inequivalent arg '${key}' for ${resource}: received ${received} but current is ${current}`,
  );
}
