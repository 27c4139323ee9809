// The permissions a binding needs (queue.bind/unbind, exchange.bind/unbind), as rabbit_channel checks them.
import type { ChannelContext } from '../context.js';

/** rabbit_channel:binding_action: write on the destination, read on the source (and its topic key). */
export function checkBind(
  ch: ChannelContext,
  kind: 'queue' | 'exchange',
  destination: string,
  source: string,
  key: string,
): void {
  ch.access.check(kind, destination, 'write');
  // the default exchange is refused next, by the vhost (check_not_default_exchange)
  if (source === '' || (kind === 'exchange' && destination === '')) return;
  ch.access.check('exchange', source, 'read');
  const x = ch.vhost.exchanges.get(source);
  if (x !== undefined && x.type === 'topic') ch.access.checkTopic(source, key, 'read', ch.topicVars());
}
