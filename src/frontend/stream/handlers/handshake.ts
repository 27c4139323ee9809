// The handshake (PROTOCOL.adoc "Authentication" and "Tune"): PeerProperties (the server's properties, whose
// `version` newer clients read to turn on filtering and the v2 frames), SaslHandshake (the mechanisms),
// SaslAuthenticate (PLAIN, AMQPLAIN, EXTERNAL on TLS with a verified client certificate; after Open it
// refreshes the credential, as RabbitMQ 3.13 allows), Tune (the server proposes, the client's answer sets frame
// max and heartbeat: the smaller non-zero value of each), Open (vhost; the reply advertises where clients
// should connect).
import { decodeTable, type FieldTable } from '../../../codec/amqp/field-table.js';
import type { FrameFields } from '../../../codec/stream/commands.js';
import { ResponseCode } from '../../../codec/stream/constants.js';
import { AccessCache } from '../../../core/auth/permissions.js';
import { AuthzPending } from '../../../core/auth/authz.js';
import type { LoginRequest } from '../../../core/auth/backend.js';
import { certLoginName } from '../../../core/auth/cert-login.js';
import { peerCert } from '../../net/peer-cert.js';
import { StreamError } from '../errors.js';
import { DEFAULT_FRAME_MAX, DEFAULT_HEARTBEAT, HEARTBEAT_FRAME, type StreamSession } from '../session.js';

/** The version stream clients read: 3.13 unlocks filtering and Publish/Deliver v2, which Warren implements. */
export const ADVERTISED_VERSION = '3.13.7';

export function handlePeerProperties(s: StreamSession, f: FrameFields<'PeerPropertiesRequest'>): void {
  s.clientProperties = f.properties;
  s.phase = 'sasl';
  const rabbit = s.server.options.advertiseRabbitmq;
  s.send('PeerPropertiesResponse', {
    correlationId: f.correlationId,
    responseCode: ResponseCode.OK,
    properties: {
      product: rabbit ? 'RabbitMQ' : 'Warren',
      version: ADVERTISED_VERSION,
      platform: `Node.js ${process.version}`,
      copyright: 'Warren: RabbitMQ-compatible broker',
      information: 'Licensed under the MPL 2.0. Website: https://rabbitmq.com',
      cluster_name: s.server.broker.nodeName,
    },
  });
}

function tlsWithPeerCert(s: StreamSession): boolean {
  return s.tls && s.server.options.tls?.verifyPeer === true;
}

export function handleSaslHandshake(s: StreamSession, f: FrameFields<'SaslHandshakeRequest'>): void {
  const mechanisms = tlsWithPeerCert(s) ? ['AMQPLAIN', 'PLAIN', 'EXTERNAL'] : ['AMQPLAIN', 'PLAIN'];
  s.send('SaslHandshakeResponse', { correlationId: f.correlationId, responseCode: ResponseCode.OK, mechanisms });
}

/** The login a SaslAuthenticate asks for (null: a mechanism not offered). */
function loginRequest(s: StreamSession, mechanism: string, data: Buffer): LoginRequest | null {
  const base = { mechanism, remoteAddress: s.remoteAddress, protocol: 'stream' };
  if (mechanism === 'PLAIN') {
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const parts = data.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new StreamError(ResponseCode.SaslError, 'malformed PLAIN response');
    return { ...base, username: parts[1]!, password: parts[2]! };
  }
  if (mechanism === 'AMQPLAIN') {
    let t: FieldTable;
    try {
      t = decodeTable(data, 0, data.length);
    } catch {
      // a response that is not a field table (found by the fuzzer: it was logged as an internal error);
      // RabbitMQ's reader crashes on it, the error it deserves is a SASL error
      throw new StreamError(ResponseCode.SaslError, 'malformed AMQPLAIN response');
    }
    return { ...base, username: String(t['LOGIN'] ?? ''), password: String(t['PASSWORD'] ?? '') };
  }
  if (mechanism === 'EXTERNAL' && tlsWithPeerCert(s)) {
    const cert = peerCert(s.socket);
    const name = cert === null ? null : certLoginName(cert, s.server.options.certLogin);
    if (cert === null || name === null) throw new StreamError(ResponseCode.AuthenticationFailure, 'no certificate');
    return { ...base, username: name, certificate: cert };
  }
  return null;
}

export function handleSaslAuthenticate(s: StreamSession, f: FrameFields<'SaslAuthenticateRequest'>): void {
  const corr = f.correlationId;
  const req = loginRequest(s, f.mechanism, f.saslOpaqueData ?? Buffer.alloc(0));
  if (req === null) throw new StreamError(ResponseCode.SaslMechanismNotSupported, f.mechanism);
  if (s.phase === 'open') return refresh(s, corr, req);
  s.mechanism = f.mechanism;
  s.login ??= s.server.broker.login(req);
  const auth = s.login;
  // an HTTP backend answers later: the frame is handled again with the answer (connection.ts AuthHold)
  if (auth instanceof Promise) throw new AuthzPending(auth.then((r) => (s.login = r)));
  if (typeof auth === 'string') {
    s.server.log.warn({ user: req.username, reason: auth }, 'stream login refused');
    s.login = null;
    // rabbit_stream_reader: loopback_users' refusal has its own code
    const code = /localhost/.test(auth)
      ? ResponseCode.SaslAuthenticationFailureLoopback
      : ResponseCode.AuthenticationFailure;
    throw new StreamError(code, auth);
  }
  s.user = auth.name;
  s.access = new AccessCache(auth, '');
  s.phase = 'authenticated';
  s.send('SaslAuthenticateResponse', { correlationId: corr, responseCode: ResponseCode.OK, saslOpaqueData: undefined });
  s.send('TuneRequest', { frameMax: DEFAULT_FRAME_MAX, heartbeat: DEFAULT_HEARTBEAT });
}

/** SaslAuthenticate on an open connection: a new credential (token) for the same user. */
function refresh(s: StreamSession, corr: number, req: LoginRequest): void {
  if (req.username !== s.user && req.username !== '') {
    throw new StreamError(ResponseCode.AuthenticationFailure, 'a different user');
  }
  const r = s.server.broker.auth.refreshSecret(s, req.password ?? '');
  if (r instanceof Promise) throw new AuthzPending(r);
  if (r !== null) {
    s.send('SaslAuthenticateResponse', {
      correlationId: corr,
      responseCode: ResponseCode.AuthenticationFailure,
      saslOpaqueData: undefined,
    });
    s.closeWith(ResponseCode.AuthenticationFailure, 'New secret was refused');
    return;
  }
  s.send('SaslAuthenticateResponse', { correlationId: corr, responseCode: ResponseCode.OK, saslOpaqueData: undefined });
}

const negotiate = (server: number, client: number): number =>
  server === 0 ? client : client === 0 ? server : Math.min(server, client);

export function handleTune(s: StreamSession, f: FrameFields<'TuneResponse'> | FrameFields<'TuneRequest'>): void {
  if (s.phase !== 'authenticated') throw new StreamError(ResponseCode.UnknownFrame, 'Tune out of order');
  s.setFrameMax(negotiate(DEFAULT_FRAME_MAX, f.frameMax));
  s.heartbeat = negotiate(DEFAULT_HEARTBEAT, f.heartbeat);
  s.phase = 'tuned';
  if (s.heartbeat > 0) s.startHeartbeats(s.heartbeat * 1000, s.heartbeat * 1000, HEARTBEAT_FRAME);
}

export function handleOpen(s: StreamSession, f: FrameFields<'OpenRequest'>): void {
  if (s.phase !== 'tuned' && s.phase !== 'authenticated') {
    throw new StreamError(ResponseCode.UnknownFrame, 'Open out of order');
  }
  const user = s.access!.user;
  const name = f.virtualHost;
  const access = s.server.broker.auth.vhostAccess(user, name);
  if (access instanceof Promise) throw new AuthzPending(access);
  try {
    s.v = s.server.broker.openVHost(name, user);
  } catch (e) {
    s.server.log.warn({ user: user.name, vhost: name, err: (e as Error).message }, 'stream open refused');
    throw new StreamError(ResponseCode.VirtualHostAccessFailure, (e as Error).message);
  }
  s.access = new AccessCache(user, name);
  s.vhost = name;
  s.phase = 'open';
  s.open = true;
  s.server.broker.register(s);
  s.server.broker.auth.watchExpiry(s);
  const a = s.server.advertised(s.tls, s.localAddress, s.localPort);
  s.send('OpenResponse', {
    correlationId: f.correlationId,
    responseCode: ResponseCode.OK,
    connectionProperties: { advertised_host: a.host, advertised_port: String(a.port) },
  });
}
