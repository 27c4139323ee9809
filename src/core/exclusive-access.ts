// Who may use an exclusive queue: RabbitMQ's rabbit_amqqueue:check_exclusive_access/3. Only its owning
// connection (405 RESOURCE_LOCKED for the others). A redeclare checks it strictly, and before any other
// equivalence (assert_equivalence): the declare's owner (the connection if exclusive, else none) must be the
// queue's, so redeclaring one's own exclusive queue as non-exclusive, or a shared queue as exclusive, is 405
// too, not a 406 "inequivalent arg 'exclusive'". Every other use is lax: a queue without an owner is anyone's.
import { resourceLocked, rs } from './errors.js';
import type { Owner } from './queue/consumer.js';
import type { Queue } from './queue/queue.js';

export function checkExclusiveAccess(q: Queue, owner: Owner | null, vhost: string, strict: boolean): void {
  if (q.exclusiveOwner === owner || (!strict && q.exclusiveOwner === null)) return;
  throw resourceLocked(
    `cannot obtain exclusive access to locked ${rs('queue', q.name, vhost)}. It could be originally ` +
      `declared on another connection or the exclusive property value does not match that of the original ` +
      `declaration.`,
  );
}
