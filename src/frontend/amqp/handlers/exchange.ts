// The exchange class (amqp0-9-1.xml class exchange): declare, delete, bind, unbind (RabbitMQ's exchange to
// exchange bindings), with rabbit_channel's permission checks, against the channel's vhost.
import {
  writeExchangeBindOk,
  writeExchangeDeclareOk,
  writeExchangeDeleteOk,
  writeExchangeUnbindOk,
  type ExchangeBind,
  type ExchangeDeclare,
  type ExchangeDelete,
  type ExchangeUnbind,
} from '../../../codec/amqp/methods.generated.js';
import type { ChannelContext } from '../context.js';
import { argTypesAt, shortstrSize } from './args.js';
import { checkBind } from './bind-access.js';

export function exchangeDeclare(ch: ChannelContext, m: ExchangeDeclare, payload: Buffer): void {
  if (m.passive) {
    ch.vhost.declareExchangePassive(m.exchange);
  } else {
    if (m.exchange !== '') {
      ch.access.check('exchange', m.exchange, 'configure');
      const ae = m.arguments['alternate-exchange'];
      if (typeof ae === 'string' && !ch.vhost.exchanges.has(m.exchange)) {
        // rabbit_channel: a new exchange with an alternate exchange needs read on itself, write on the AE
        ch.access.check('exchange', m.exchange, 'read');
        ch.access.check('exchange', ae, 'write');
      }
    }
    ch.vhost.declareExchange(m.exchange, {
      type: m.type,
      durable: m.durable,
      autoDelete: m.autoDelete,
      internal: m.internal,
      args: m.arguments,
      // arguments is the last field: ids(4) reserved(2) exchange type bits(1) table
      argTypes: argTypesAt(payload, 4 + 2 + shortstrSize(m.exchange) + shortstrSize(m.type) + 1),
    });
  }
  if (!m.nowait) writeExchangeDeclareOk(ch.conn.out, ch.id);
}

export function exchangeDelete(ch: ChannelContext, m: ExchangeDelete): void {
  // rabbit_channel: default-exchange and amq.* checks come before the configure check
  if (m.exchange !== '' && !m.exchange.startsWith('amq.')) ch.access.check('exchange', m.exchange, 'configure');
  ch.vhost.deleteExchange(m.exchange, m.ifUnused);
  if (!m.nowait) writeExchangeDeleteOk(ch.conn.out, ch.id);
}

export function exchangeBind(ch: ChannelContext, m: ExchangeBind): void {
  checkBind(ch, 'exchange', m.destination, m.source, m.routingKey);
  ch.vhost.bindExchange(m.destination, m.source, m.routingKey, m.arguments);
  if (!m.nowait) writeExchangeBindOk(ch.conn.out, ch.id);
}

export function exchangeUnbind(ch: ChannelContext, m: ExchangeUnbind): void {
  checkBind(ch, 'exchange', m.destination, m.source, m.routingKey);
  ch.vhost.unbindExchange(m.destination, m.source, m.routingKey, m.arguments);
  if (!m.nowait) writeExchangeUnbindOk(ch.conn.out, ch.id);
}
