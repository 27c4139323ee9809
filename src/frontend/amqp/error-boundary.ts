// The one catch boundary of an AMQP connection (style §3.7, LavinMQ's read_loop rescue ladder): an error
// thrown while handling a frame becomes channel.close (a soft error on a channel: the channel's handlers,
// its content) or connection.close (a hard error, a codec error, or a bug: 541 INTERNAL_ERROR), with the
// class and method ids of the method being handled.
import { CodecError } from '../../codec/amqp/errors.js';
import { BrokerError } from '../../core/errors.js';
import type { AmqpChannel } from './channel.js';
import type { AmqpConnectionContext } from './context.js';
import { AmqpChannelError, AmqpConnectionError, ConnectionReplyCode, fromBrokerError, replyText } from './errors.js';

/** An error on a channel: a channel error closes the channel; anything else is rethrown (to the connection). */
export function channelFailure(ch: AmqpChannel, e: unknown, classId: number, methodId: number): void {
  if (e instanceof BrokerError) e = fromBrokerError(e);
  if (e instanceof AmqpChannelError) {
    ch.closeWithError(e.code, replyText(e.code, e.message), classId, methodId);
    return;
  }
  throw e;
}

/** An error that reached the connection closes it. */
export function connectionFailure(conn: AmqpConnectionContext, e: unknown, classId: number, methodId: number): void {
  if (e instanceof BrokerError) e = fromBrokerError(e);
  if (e instanceof AmqpChannelError) {
    // a channel-level error outside a channel context (e.g. channel 0) escalates to the connection
    e = new AmqpConnectionError(ConnectionReplyCode.CHANNEL_ERROR, e.message);
  }
  if (e instanceof CodecError) {
    return conn.closeWithError(e.replyCode, replyText(e.replyCode, e.message), e.classId, e.methodId);
  }
  if (e instanceof AmqpConnectionError) {
    return conn.closeWithError(e.code, replyText(e.code, e.message), classId, methodId);
  }
  conn.log.error({ err: e, conn: conn.name }, 'internal error; closing connection');
  conn.closeWithError(541, replyText(541, 'internal error'), classId, methodId);
}
