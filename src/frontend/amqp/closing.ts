// Closing an AMQP connection (amqp0-9-1.xml connection.close / close-ok), from either side. The peer that sent
// close closes the socket once it has close-ok; the other side answers and waits for that, bounded.
import { writeConnectionClose, writeConnectionCloseOk } from '../../codec/amqp/methods.generated.js';
import type { AmqpConnectionContext } from './context.js';

/** After close-ok to a client's connection.close: how long the socket waits for the client to close it. */
const CLOSE_LINGER_MS = 1000;
/** After Warren's connection.close: how long it waits for close-ok (a failed login's: RabbitMQ's 100 ms). */
const CLOSE_OK_WAIT_MS = 3000;
const LOGIN_REFUSED_WAIT_MS = 100;

/** What closing needs of the connection besides its context: the timer its socket's close clears. */
export interface Closing extends AmqpConnectionContext {
  closeTimer: NodeJS.Timeout | null;
}

/** Send connection.close and wait (bounded) for close-ok; nothing else is processed meanwhile. */
export function closeWithError(c: Closing, code: number, text: string, classId: number, methodId: number): void {
  if (c.state === 'closing' || c.state === 'closed') return;
  const beforeOpen = c.state !== 'opened';
  c.teardown();
  if (c.state === 'header') {
    c.socket.destroy();
    c.state = 'closed';
    return;
  }
  writeConnectionClose(c.out, 0, code, text, classId, methodId);
  c.output.flush();
  c.state = 'closing';
  // RabbitMQ closes the socket right after a failed login's connection.close
  const wait = beforeOpen && code === 403 ? LOGIN_REFUSED_WAIT_MS : CLOSE_OK_WAIT_MS;
  c.closeTimer = setTimeout(() => c.socket.destroy(), wait);
}

/**
 * Client-initiated close: tidy up and answer close-ok, and leave the socket to the client (close-ok: "the peer
 * that sent close ... closes the socket"). RabbitMQ keeps it open after close-ok until the client closes it
 * (rabbit_reader close_connection: at most the heartbeat timeout or 30 s), ignoring what else comes; ending it
 * at once made a client with several closes in flight (amqp091-go's TestConcurrentClose, 32 goroutines) see
 * the EOF before its own close-ok and fail them with 501 "EOF". Warren waits CLOSE_LINGER_MS at most.
 */
export function closeByClient(c: Closing): void {
  c.teardown();
  writeConnectionCloseOk(c.out, 0);
  c.state = 'closed';
  c.output.flush();
  c.closeTimer = setTimeout(() => endThenDestroy(c), CLOSE_LINGER_MS);
}

/**
 * End a closed connection's socket (`last` written first) and destroy it CLOSE_LINGER_MS later if the peer has
 * not closed it by then. Ending alone relies on reading the peer's FIN, and a socket paused when its connection
 * closed (the turn's read budget, flow control, an auth wait) never reads it: it kept its descriptor and its
 * connection for good, half-closed (the AMQP fuzzer left about one case in 200 so, and a broker holding
 * thousands of dead sockets runs out of descriptors).
 */
export function endThenDestroy(c: Closing, last?: Buffer): void {
  if (last === undefined) c.socket.end();
  else c.socket.end(last);
  if (c.closeTimer !== null) clearTimeout(c.closeTimer);
  c.closeTimer = setTimeout(() => c.socket.destroy(), CLOSE_LINGER_MS);
}
