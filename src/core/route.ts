// Routing one message from an exchange to the set of queues it reaches (the hot path of every publish): the
// exchange's own index, CC/BCC keys, exchange-to-exchange bindings and alternate exchanges, each destination
// taken once by its routing-generation mark. VHost.route() owns the scratch arrays and the generation.
import { DelayedExchange } from './exchange/delayed.js';
import type { Destination, Exchange } from './exchange/exchange.js';
import type { Message } from './message.js';
import type { Queue } from './queue/queue.js';

/** Appends to `out` the queues `msg` reaches from `x` not yet marked `gen`; returns how many. */
export function routeFrom(
  x: Exchange,
  msg: Message,
  out: Queue[],
  gen: number,
  dests: Destination[],
  exchanges: ReadonlyMap<string, Exchange>,
): number {
  x.routeMark = gen;
  const base = dests.length;
  x.route(msg, dests);
  if (msg.cc !== null || msg.bcc !== null) x.routeExtra(msg, dests);
  let added = 0;
  // destinations appended by this exchange occupy dests[base..); nested routing appends past them
  const end = dests.length;
  for (let i = base; i < end; i++) {
    const d = dests[i]!;
    if (d.kind === 'queue') {
      if (d.routeMark !== gen) {
        d.routeMark = gen;
        // every queue destination is a Queue (bindQueue binds only those); the exchange layer knows it
        // only as a QueueDestination, so that it need not import the queue
        out.push(d as Queue);
        added++;
      }
    } else if (d.routeMark !== gen) {
      added += routeFrom(d, msg, out, gen, dests, exchanges);
    }
  }
  while (dests.length > base) dests.pop();
  // a delayed exchange holding the message routed it nowhere yet: that is not "unroutable"
  if (added === 0 && x.alternateExchange !== null && !(x instanceof DelayedExchange && x.held === msg)) {
    const ae = exchanges.get(x.alternateExchange);
    if (ae && ae.routeMark !== gen) added += routeFrom(ae, msg, out, gen, dests, exchanges);
  }
  return added;
}
