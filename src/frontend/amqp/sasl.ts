// SASL in connection.start / start-ok: the mechanisms Warren offers and a start-ok response as a login
// request (core/auth). PLAIN (RFC 4616) and AMQPLAIN carry a user name and a password (or an OAuth 2 token);
// EXTERNAL (RFC 4422 appendix A, RabbitMQ's rabbitmq_auth_mechanism_ssl) logs in as the verified client
// certificate's name, and is offered on TLS connections when the listener asks clients for a certificate.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { decodeTable } from '../../codec/amqp/field-table.js';
import type { LoginRequest } from '../../core/auth/backend.js';
import { certLoginName, type CertLoginOptions } from '../../core/auth/cert-login.js';
import { peerCert } from '../net/peer-cert.js';
import type { TlsOptions } from '../../options.js';
import { ConnectionReplyCode, connectionError } from './errors.js';

/** connection.start's mechanisms: EXTERNAL too on a TLS socket whose listener verifies peers. */
export function mechanisms(socket: Socket, tls: TlsOptions | null): string {
  return socket instanceof TLSSocket && tls?.verifyPeer === true ? 'AMQPLAIN PLAIN EXTERNAL' : 'AMQPLAIN PLAIN';
}

const refused = (mech: string) =>
  connectionError(
    ConnectionReplyCode.ACCESS_REFUSED,
    `Login was refused using authentication mechanism ${mech}. For details see the broker logfile.`,
  );

/** The login a start-ok asks for; null for a mechanism Warren does not offer. Throws 403 on a bad response. */
export function loginRequest(
  mech: string,
  response: Buffer,
  socket: Socket,
  certLogin: CertLoginOptions,
): LoginRequest | null {
  const base = { mechanism: mech, remoteAddress: '', protocol: 'amqp' };
  if (mech === 'PLAIN') {
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const parts = response.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw refused(mech);
    return { ...base, username: parts[1]!, password: parts[2]! };
  }
  if (mech === 'AMQPLAIN') {
    // a field table without its length prefix, with LOGIN and PASSWORD
    const t = decodeTable(response, 0, response.length);
    return { ...base, username: String(t['LOGIN'] ?? ''), password: String(t['PASSWORD'] ?? '') };
  }
  if (mech === 'EXTERNAL' && socket instanceof TLSSocket) {
    const cert = peerCert(socket);
    const name = cert === null ? null : certLoginName(cert, certLogin);
    if (cert === null || name === null) throw refused(mech);
    return { ...base, username: name, certificate: cert };
  }
  return null;
}
