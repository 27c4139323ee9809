// The confirm class (RabbitMQ's extension, https://www.rabbitmq.com/docs/confirms): confirm.select puts the
// channel in confirm mode; the confirms themselves are confirms.ts.
import { writeConfirmSelectOk, type ConfirmSelect } from '../../../codec/amqp/methods.generated.js';
import type { ChannelContext } from '../context.js';
import { channelError } from '../errors.js';

export function confirmSelect(ch: ChannelContext, m: ConfirmSelect): void {
  if (ch.txMode) throw channelError(406, `cannot switch from tx to confirm mode`);
  ch.confirmMode = true;
  if (!m.nowait) writeConfirmSelectOk(ch.conn.out, ch.id);
}
