// Test helper: what a channel operation comes to under access control, as a RabbitMQ user sees it.
import type { Channel, ChannelModel } from 'amqplib';

/**
 * Run `f` on a fresh channel of `c`; resolve with 'OK', or the ACCESS_REFUSED text (RabbitMQ's 403 reply
 * text) the channel was closed with, or the whole error message when it is not an ACCESS_REFUSED.
 */
export async function outcome(c: ChannelModel, f: (ch: Channel) => Promise<unknown>): Promise<string> {
  const ch = await c.createChannel();
  let closed: string | null = null;
  ch.on('error', (e: Error) => (closed = e.message));
  try {
    await f(ch);
    // publish errors arrive asynchronously: a round trip makes sure the close came if it will
    await ch.checkExchange('amq.direct');
    await ch.close();
    return 'OK';
  } catch (e) {
    const m = closed ?? (e as Error).message;
    const i = m.indexOf('ACCESS_REFUSED');
    return i >= 0 ? m.slice(i).replace(/"$/, '') : m;
  }
}
