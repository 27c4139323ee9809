// The method table of a channel: one switch on the method id (classId << 16 | methodId) calling the
// handler of each AMQP class (basic.ts, exchange.ts, queue.ts, channel.ts, confirm.ts, tx.ts), or the
// channel's publisher and deliveries for the hot basic methods (publish, ack). channel.open and channel.close
// are the connection's (they change its channel table). Called only from the connection's frame handler; an
// error thrown here closes the channel (or, for hard errors, the connection).
import { MethodId, type AmqpMethod } from '../../../codec/amqp/methods.generated.js';
import type { AmqpChannel } from '../channel.js';
import { ConnectionReplyCode, connectionError } from '../errors.js';
import { basicCancel, basicConsume, basicQos } from './basic.js';
import { channelFlow } from './channel.js';
import { confirmSelect } from './confirm.js';
import { exchangeBind, exchangeDeclare, exchangeDelete, exchangeUnbind } from './exchange.js';
import { queueBind, queueDeclare, queueDelete, queuePurge, queueUnbind } from './queue.js';
import { txCommit, txRollback, txSelect } from './tx.js';

// Hot path for basic.publish / basic.ack; everything else is rare.
export function channelMethod(ch: AmqpChannel, m: AmqpMethod, payload: Buffer): void {
  switch (m.id) {
    case MethodId.BasicPublish:
      return ch.publisher.onPublish(m);
    case MethodId.BasicAck:
      return ch.deliveries.ack(m.deliveryTag, m.multiple);
    case MethodId.BasicNack:
      return ch.deliveries.nack(m.deliveryTag, m.multiple, m.requeue);
    case MethodId.BasicReject:
      return ch.deliveries.nack(m.deliveryTag, false, m.requeue);
    case MethodId.BasicQos:
      return basicQos(ch, m);
    case MethodId.BasicConsume:
      return basicConsume(ch, m, payload);
    case MethodId.BasicCancel:
      return basicCancel(ch, m);
    case MethodId.BasicGet:
      return ch.deliveries.get(m.queue, m.noAck);
    case MethodId.BasicRecover:
      return ch.deliveries.recover(m.requeue, true);
    case MethodId.BasicRecoverAsync:
      return ch.deliveries.recover(m.requeue, false);
    case MethodId.ExchangeDeclare:
      return exchangeDeclare(ch, m, payload);
    case MethodId.ExchangeDelete:
      return exchangeDelete(ch, m);
    case MethodId.ExchangeBind:
      return exchangeBind(ch, m);
    case MethodId.ExchangeUnbind:
      return exchangeUnbind(ch, m);
    case MethodId.QueueDeclare:
      return queueDeclare(ch, m, payload);
    case MethodId.QueueBind:
      return queueBind(ch, m);
    case MethodId.QueueUnbind:
      return queueUnbind(ch, m);
    case MethodId.QueuePurge:
      return queuePurge(ch, m);
    case MethodId.QueueDelete:
      return queueDelete(ch, m);
    case MethodId.ChannelFlow:
      return channelFlow(ch, m);
    case MethodId.ChannelFlowOk:
      return;
    case MethodId.ConfirmSelect:
      return confirmSelect(ch, m);
    case MethodId.TxSelect:
      return txSelect(ch);
    case MethodId.TxCommit:
      return txCommit(ch);
    case MethodId.TxRollback:
      return txRollback(ch);
    case MethodId.ChannelOpen:
      throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `second 'channel.open' seen`);
    default:
      throw connectionError(ConnectionReplyCode.COMMAND_INVALID, `unexpected method on channel ${ch.id}`);
  }
}
