// The connection class (amqp0-9-1.xml class connection) on channel 0: the handshake's replies, each only in
// its state (handshake.ts), close and close-ok, connection.update-secret on an open connection
// (update-secret.ts), and connection.blocked/unblocked (server-to-client only: ignored). Anything else on
// channel 0 is 503 COMMAND_INVALID.
import { MethodId, type AmqpMethod } from '../../../codec/amqp/methods.generated.js';
import type { AmqpConnectionContext } from '../context.js';
import { ConnectionReplyCode, connectionError } from '../errors.js';
import { open, startOk, tuneOk } from '../handshake.js';
import { updateSecret } from '../update-secret.js';

export function connectionMethod(conn: AmqpConnectionContext, m: AmqpMethod): void {
  switch (m.id) {
    case MethodId.ConnectionStartOk:
      if (conn.state !== 'start-ok') break;
      return startOk(conn, m);
    case MethodId.ConnectionTuneOk:
      if (conn.state !== 'tune-ok') break;
      return tuneOk(conn, m);
    case MethodId.ConnectionOpen:
      if (conn.state !== 'open') break;
      return open(conn, m);
    case MethodId.ConnectionClose:
      return conn.closeByClient();
    case MethodId.ConnectionCloseOk:
      if (conn.state === 'closing') {
        conn.state = 'closed';
        conn.socket.end();
      }
      return;
    case MethodId.ConnectionUpdateSecret:
      if (conn.state !== 'opened') break;
      return updateSecret(conn, m);
    case MethodId.ConnectionBlocked:
    case MethodId.ConnectionUnblocked:
      return;
  }
  if (conn.state === 'closing') return;
  if (m.id >>> 16 !== 10) {
    throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `unexpected method on channel 0`);
  }
  // rabbit_reader handle_method0/2: channel_error "unexpected method in connection state ~w" (anchor: 504)
  throw connectionError(ConnectionReplyCode.CHANNEL_ERROR, `unexpected method in connection state ${conn.state}`);
}
