// The 503 text for an exchange type that is not registered, as rabbit_exchange:check_type/1 words it.
// RabbitMQ first turns the type into an *existing* Erlang atom (rabbit_registry:binary_to_type uses
// binary_to_existing_atom): a name that is no atom in the node is "unknown exchange type 'T'"; a name that
// is an atom but no registered exchange type is "invalid exchange type 'T'". Which names are atoms depends
// on the code loaded in the node, so this keeps the ones checked against the anchor RabbitMQ 3.10.8: the
// empty name, Erlang/OTP's everyday atoms, and words RabbitMQ's own code uses as atoms. Clients test it:
// @cloudamqp/amqp-client's suite declares type "none" and expects /invalid exchange type/.

/** Names that answered "invalid exchange type" on RabbitMQ 3.10.8 (each probed with exchange.declare). */
const ATOMS_IN_A_RABBITMQ_NODE = new Set([
  '',
  'none',
  'true',
  'false',
  'undefined',
  'ok',
  'error',
  'null',
  'nil',
  'infinity',
  'default',
  'match',
  'stream',
  'quorum',
  'classic',
  'local',
  'global',
  'all',
  'any',
  'internal',
  'durable',
  'exchange',
  'queue',
  'binding',
  'string',
  'binary',
  'list',
  'atom',
  'test',
  'message',
  'system',
  'type',
  'name',
  'random',
  'info',
  'warning',
  'debug',
  'user',
]);

/** "unknown exchange type 'T'" or, for a name RabbitMQ knows as an atom, "invalid exchange type 'T'". */
export function unregisteredExchangeTypeText(type: string): string {
  return `${ATOMS_IN_A_RABBITMQ_NODE.has(type) ? 'invalid' : 'unknown'} exchange type '${type}'`;
}
