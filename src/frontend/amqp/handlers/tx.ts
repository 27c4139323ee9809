// The tx class (amqp0-9-1.xml class tx): select, commit, rollback. In tx mode the publisher holds its
// publishes (publish.ts) and the deliveries hold acks/nacks (deliveries.ts) until commit applies them in
// order; commit-ok waits for the fsync of committed persistent messages (confirms.ts).
import { writeTxRollbackOk, writeTxSelectOk } from '../../../codec/amqp/methods.generated.js';
import type { AmqpChannel } from '../channel.js';
import { channelError } from '../errors.js';
import { routeMessage } from '../route.js';

export function txSelect(ch: AmqpChannel): void {
  if (ch.confirmMode) throw channelError(406, `cannot switch from confirm to tx mode`);
  ch.txMode = true;
  writeTxSelectOk(ch.conn.out, ch.id);
}

export function txCommit(ch: AmqpChannel): void {
  if (!ch.txMode) throw channelError(406, `channel is not transactional`);
  const pubs = ch.publisher.takeTxPublishes();
  const store = ch.conn.server.broker.store;
  const before = store === null ? 0 : store.appended;
  for (const p of pubs) routeMessage(ch, p.msg, p.mandatory, p.immediate);
  ch.deliveries.txCommit();
  ch.confirms.commitOk(store, before);
}

export function txRollback(ch: AmqpChannel): void {
  if (!ch.txMode) throw channelError(406, `channel is not transactional`);
  ch.publisher.takeTxPublishes();
  ch.deliveries.txRollback();
  writeTxRollbackOk(ch.conn.out, ch.id);
}
