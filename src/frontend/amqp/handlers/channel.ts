// The channel class (amqp0-9-1.xml class channel): open, close, close-ok, flow, flow-ok. The connection's
// channel table is the connection's (connection.ts onChannelMethod calls these); errors thrown here close
// the connection (channel.open) or the channel.
import {
  writeChannelCloseOk,
  writeChannelFlowOk,
  writeChannelOpenOk,
  type ChannelFlow,
} from '../../../codec/amqp/methods.generated.js';
import { AmqpChannel } from '../channel.js';
import type { AmqpConnectionContext } from '../context.js';
import { ConnectionReplyCode, NO_METHOD, connectionError } from '../errors.js';

/**
 * channel.open on a free channel number (`open`: channels open on the connection now): the new channel,
 * channel.open-ok written. channel_max bounds how many channels are open at once, not their numbers, as
 * RabbitMQ's reader does (rabbit_reader:create_channel; anchor 3.10: with channel_max 2, channel 5 opens,
 * and a third channel gets 530 with this text and class/method 0, 0). A number is any 1..65535 (the frame's).
 */
export function channelOpen(conn: AmqpConnectionContext, channel: number, open: number): AmqpChannel {
  if (conn.channelMax !== 0 && open >= conn.channelMax) {
    throw connectionError(
      ConnectionReplyCode.NOT_ALLOWED,
      `number of channels opened (${open}) has reached the negotiated channel_max (${conn.channelMax})`,
      NO_METHOD,
    );
  }
  if (conn.user !== '') conn.server.broker.checkChannelLimit(conn.user);
  const ch = new AmqpChannel(conn, channel);
  writeChannelOpenOk(conn.out, channel);
  return ch;
}

/** channel.close from the client: release what the channel holds and confirm (the caller frees its number). */
export function channelClose(ch: AmqpChannel): void {
  ch.teardown();
  writeChannelCloseOk(ch.conn.out, ch.id);
}

/**
 * amqp0-9-1.xml channel.flow: active=false pauses deliveries to this channel, true resumes them. Implemented
 * as the spec says (RabbitMQ 4 refuses active=false).
 */
export function channelFlow(ch: AmqpChannel, m: ChannelFlow): void {
  ch.flowActive = m.active;
  writeChannelFlowOk(ch.conn.out, ch.id, m.active);
  if (m.active) ch.deliveries.resumeConsumers(true);
}
