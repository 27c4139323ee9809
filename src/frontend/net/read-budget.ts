// The per-connection read budget (fairness, issue #6). libuv reads a readable socket up to 32 times per
// poll, 64 KiB each, and a front end handles every read synchronously: without a bound, one client
// publishing flat out is tens of thousands of messages (with their routing and deliveries) in one go, and
// every other connection's publishes, acks, deliveries and heartbeats wait behind them. Past the budget a
// connection's socket is paused and resumed on the next turn, so each connection gets its turn. RabbitMQ
// gets the same from its scheduler: a reader process is preempted after its reductions.

/**
 * The work one connection may do in one event-loop turn before it reads on next turn, in units of
 * READ_COST_BYTE per input byte and READ_COST_FRAME per frame (where a front end counts frames). Work per
 * turn is mostly per message, not per byte: 64 KiB of 16-byte publishes is ~1,800 messages, 64 KiB of one
 * large message is one. Counting bytes alone held a 64 KiB-message publisher to one message per turn
 * (throughput -30%, broker CPU per message +60%). With these weights a turn is ~900 small publishes
 * (about 2 ms) or ~2 MiB of large bodies.
 */
export const READ_BUDGET = 65536;
/** Cost of one input byte (1/32 of a unit: 2 MiB of bodies fill the budget). */
export const READ_BYTE_SHIFT = 5;
/** Cost of one frame (AMQP): three per small publish. */
export const READ_COST_FRAME = 24;
