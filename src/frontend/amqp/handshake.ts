// Opening a connection (amqp0-9-1 §4.2.3, LavinMQ's connection_factory.cr): the protocol header, then
// start/start-ok (authentication: PLAIN, AMQPLAIN, EXTERNAL; sasl.ts), tune/tune-ok (frame_max, channel_max, heartbeat), and
// open/open-ok (the vhost). Each step is checked against the connection's state by handlers/connection.ts;
// an error thrown here closes the connection (403 ACCESS_REFUSED for a failed login, as RabbitMQ).
import { PROTOCOL_HEADER } from '../../codec/amqp/constants.js';
import {
  writeConnectionOpenOk,
  writeConnectionStart,
  writeConnectionTune,
  type ConnectionOpen,
  type ConnectionStartOk,
  type ConnectionTuneOk,
} from '../../codec/amqp/methods.generated.js';
import { BrokerError } from '../../core/errors.js';
import { endThenDestroy, type Closing } from './closing.js';
import type { AmqpConnectionContext } from './context.js';
import { ConnectionReplyCode, connectionError } from './errors.js';
import { startShortHeartbeat } from './heartbeat.js';
import { serverProperties } from './server-properties.js';
import { loginRequest, mechanisms } from './sasl.js';
import type { User } from '../../core/auth/users.js';

/** RabbitMQ refuses frame_max below this (amqp0-9-1.xml connection.tune frame-max "minimum"). */
export const FRAME_MIN_SIZE = 4096;

const AMQP = Buffer.from('AMQP');

/**
 * The first bytes of a connection (`held`: a prefix of the header kept from an earlier read). Returns the
 * bytes after a good header (frames), null while the header is incomplete or after a bad one, and the
 * prefix to hold meanwhile. amqp0-9-1 §4.2.2: a bad protocol header gets the server's header back and the
 * socket closed.
 */
export function protocolHeader(
  conn: Closing,
  held: Buffer | null,
  chunk: Buffer,
): { rest: Buffer | null; held: Buffer | null } {
  const buf = held ? Buffer.concat([held, chunk]) : chunk;
  if (buf.length < 8) {
    // a prefix that cannot become the header fails at once
    if (!PROTOCOL_HEADER.subarray(0, buf.length).equals(buf) && !isAmqpPrefix(buf)) return badHeader(conn);
    return { rest: null, held: Buffer.from(buf) };
  }
  if (!buf.subarray(0, 8).equals(PROTOCOL_HEADER)) return badHeader(conn);
  conn.state = 'start-ok';
  writeConnectionStart(
    conn.out,
    0,
    0,
    9,
    serverProperties(conn.server.options.advertiseRabbitmq),
    Buffer.from(mechanisms(conn.socket, conn.server.options.tls)),
    Buffer.from('en_US'),
  );
  return { rest: buf.subarray(8), held: null };
}

function badHeader(conn: Closing): { rest: null; held: null } {
  endThenDestroy(conn, PROTOCOL_HEADER);
  conn.state = 'closed';
  return { rest: null, held: null };
}

function isAmqpPrefix(buf: Buffer): boolean {
  const n = Math.min(4, buf.length);
  return AMQP.subarray(0, n).equals(buf.subarray(0, n));
}

/** connection.start-ok: the client's properties and capabilities, and its login (sasl.ts, core/auth). */
export function startOk(conn: AmqpConnectionContext, m: ConnectionStartOk): void {
  conn.clientProperties = m.clientProperties;
  const caps = m.clientProperties['capabilities'];
  if (caps && typeof caps === 'object') conn.capabilities = caps as Record<string, unknown>;
  const mech = m.mechanism;
  conn.authMechanism = mech;
  const req = loginRequest(mech, m.response, conn.socket, conn.server.options.certLogin);
  if (req === null) {
    throw connectionError(ConnectionReplyCode.ACCESS_REFUSED, `unsupported authentication mechanism '${mech}'`);
  }
  req.remoteAddress = conn.remoteAddress;
  const result = conn.server.broker.login(req);
  if (!(result instanceof Promise)) return loggedIn(conn, result, req.username);
  // a backend answers later (HTTP): the client waits for connection.tune meanwhile
  conn.state = 'secure-ok';
  conn.awaitAuth(result, (r) => loggedIn(conn, r, req.username));
}

function loggedIn(conn: AmqpConnectionContext, result: User | string, user: string): void {
  if (typeof result === 'string') {
    conn.log.warn({ conn: conn.name, user }, `login refused: ${result}`);
    throw connectionError(ConnectionReplyCode.ACCESS_REFUSED, result);
  }
  conn.user = result.name;
  conn.userObj = result;
  conn.state = 'tune-ok';
  const o = conn.server.options;
  writeConnectionTune(conn.out, 0, o.channelMax, o.frameMax, o.heartbeat);
}

/** connection.tune-ok: amqp0-9-1.xml connection.tune-ok: the client may lower but not raise the server's limits. */
export function tuneOk(conn: AmqpConnectionContext, m: ConnectionTuneOk): void {
  const o = conn.server.options;
  if (m.frameMax !== 0 && m.frameMax < FRAME_MIN_SIZE) {
    throw connectionError(ConnectionReplyCode.NOT_ALLOWED, `frame_max=${m.frameMax} < ${FRAME_MIN_SIZE} min size`);
  }
  if (o.frameMax !== 0 && m.frameMax > o.frameMax) {
    throw connectionError(ConnectionReplyCode.NOT_ALLOWED, `frame_max=${m.frameMax} > ${o.frameMax} max size`);
  }
  if (m.channelMax > o.channelMax && o.channelMax !== 0) {
    throw connectionError(ConnectionReplyCode.NOT_ALLOWED, `channel_max=${m.channelMax} > ${o.channelMax} max`);
  }
  conn.frameMax = m.frameMax === 0 ? o.frameMax || 0x7fffffff : m.frameMax;
  conn.channelMax = m.channelMax === 0 ? o.channelMax || 65535 : m.channelMax;
  conn.heartbeat = m.heartbeat;
  conn.decoder.frameMax = conn.frameMax;
  conn.state = 'open';
}

/** connection.open: the vhost (the user must have access to it); the connection is open. */
export function open(conn: AmqpConnectionContext, m: ConnectionOpen): void {
  // an external backend may answer vhost access later (HTTP): wait for it, then open
  const access = conn.server.broker.auth.vhostAccess(conn.userObj!, m.virtualHost);
  if (access instanceof Promise) {
    conn.state = 'secure-ok';
    return conn.awaitAuth(access, () => openVHost(conn, m));
  }
  openVHost(conn, m);
}

function openVHost(conn: AmqpConnectionContext, m: ConnectionOpen): void {
  try {
    conn.vhostObj = conn.server.broker.openVHost(m.virtualHost, conn.userObj!);
  } catch (e) {
    if (e instanceof BrokerError) throw connectionError(ConnectionReplyCode.NOT_ALLOWED, e.message);
    throw e;
  }
  conn.vhost = m.virtualHost;
  conn.state = 'opened';
  conn.opened();
  writeConnectionOpenOk(conn.out, 0);
  // from open-ok, not tune-ok as RabbitMQ: its first look would see open-ok (written after tune-ok) and skip,
  // so the first beat could come a whole interval after it, the socket timeout of a client that counts on beats
  startShortHeartbeat(conn);
}
