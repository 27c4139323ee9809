// A binding's identity: (destination, key, arguments) under its source exchange, as in RabbitMQ: the same key
// with other arguments is another binding. The Binding object itself lives with the exchange that holds it
// (exchange/exchange.ts); this leaf is what storage and the front ends use to compare bindings.

/** bindingId's view of a destination: its kind and name. */
export interface DestinationKey {
  readonly kind: 'queue' | 'exchange';
  readonly name: string;
}

export function bindingId(dest: DestinationKey, routingKey: string, args: Record<string, unknown>): string {
  return `${dest.kind}\u0000${dest.name}\u0000${routingKey}\u0000${argsKey(args)}`;
}

/** A canonical form of an argument table, for equality (key order does not matter). */
export function argsKey(args: Record<string, unknown>): string {
  const keys = Object.keys(args);
  if (keys.length === 0) return '';
  keys.sort();
  return JSON.stringify(keys.map((k) => [k, args[k]]));
}
