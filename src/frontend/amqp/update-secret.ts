// connection.update-secret (RabbitMQ's extension to amqp0-9-1, class 10 method 70): a client replaces the
// secret of a live connection (an OAuth 2 token about to expire). As rabbit_reader handle_method0
// connection.update_secret: only on an open connection; the new secret is checked for the same user by the
// backend that admitted the connection; good: update-secret-ok and the reason logged; refused: the connection
// is closed with 530 "NOT_ALLOWED - New secret was refused by one of the backends".
import { writeConnectionUpdateSecretOk, type ConnectionUpdateSecret } from '../../codec/amqp/methods.generated.js';
import type { AmqpConnectionContext } from './context.js';
import { ConnectionReplyCode, connectionError, replyText } from './errors.js';

const REFUSED = 'New secret was refused by one of the backends';

/**
 * The one place a new secret is checked: null when it is good, else why it was refused (logged). Today the
 * internal user store (the only backend) checks it as the password of the connection's own user; the auth
 * backend chain (core/auth, issue 17) replaces this body with its refreshSecret(conn, secret), which asks the
 * backend that admitted the login and may answer with a promise.
 */
export function verifyNewSecret(conn: AmqpConnectionContext, secret: string): string | null | Promise<string | null> {
  const u = conn.server.broker.users.authenticate(conn.user, secret);
  if (u === null) return `user '${conn.user}' - invalid credentials`;
  if (u !== conn.userObj) return `user '${conn.user}' was deleted and created again`;
  return null;
}

export function updateSecret(conn: AmqpConnectionContext, m: ConnectionUpdateSecret): void {
  conn.log.debug({ conn: conn.name, user: conn.user }, `asked to update secret, reason: ${m.reason}`);
  const r = verifyNewSecret(conn, m.newSecret.toString('utf8'));
  if (r instanceof Promise) {
    r.then(
      (why) => {
        if (conn.state !== 'opened') return;
        if (why === null) accepted(conn, m.reason);
        else refused(conn, why, true);
        conn.output.flush();
      },
      (e: unknown) => {
        conn.log.error({ err: e, conn: conn.name }, 'secret update failed');
        conn.closeWithError(530, replyText(530, 'Secret update failed'), 10, 70);
      },
    );
    return;
  }
  if (r === null) accepted(conn, m.reason);
  else refused(conn, r, false);
}

function accepted(conn: AmqpConnectionContext, reason: string): void {
  writeConnectionUpdateSecretOk(conn.out, 0);
  conn.log.info({ conn: conn.name, user: conn.user }, `user '${conn.user}' updated secret, reason: ${reason}`);
}

function refused(conn: AmqpConnectionContext, why: string, later: boolean): void {
  conn.log.error({ conn: conn.name, user: conn.user }, `Secret update was refused for user '${conn.user}': ${why}`);
  if (later) conn.closeWithError(530, replyText(530, REFUSED), 10, 70);
  else throw connectionError(ConnectionReplyCode.NOT_ALLOWED, REFUSED);
}
