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
import { ConnectionReplyCode, connectionError } from '../errors.js';

/** channel.open on a free channel number: the new channel, channel.open-ok written. */
export function channelOpen(conn: AmqpConnectionContext, channel: number): AmqpChannel {
  if (channel > conn.channelMax) {
    throw connectionError(
      ConnectionReplyCode.CHANNEL_ERROR,
      `channel ${channel} exceeds the negotiated channel_max ${conn.channelMax}`,
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
