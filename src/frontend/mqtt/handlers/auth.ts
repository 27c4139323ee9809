// AUTH (MQTT 5 §3.15, §4.12): enhanced authentication, which a CONNECT without an Authentication Method
// (the only kind accepted, see connect.ts) did not start: a protocol error. RabbitMQ's parser rejects every
// AUTH packet (extended_authentication_unsupported) and closes the connection.
import { ProtocolError, RC5 } from '../reason-codes.js';

export function handleAuth(): never {
  throw new ProtocolError(RC5.PROTOCOL_ERROR, 'AUTH: enhanced authentication is not supported');
}
