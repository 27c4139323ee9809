// CONNECT / STOMP (§CONNECT or STOMP Frame): version negotiation (accept-version), login (or the
// configured default user), the vhost from the host header, heart-beats, CONNECTED.
import { AccessCache } from '../../../core/auth/permissions.js';
import { AuthzPending } from '../../../core/auth/authz.js';
import { certLoginName } from '../../../core/auth/cert-login.js';
import { peerCert } from '../../net/peer-cert.js';
import type { StompHeaders } from '../format.js';
import { StompError, type StompFrame } from '../frame.js';
import { EOL, VERSIONS, type StompSession } from '../session.js';

export function handleConnect(s: StompSession, f: StompFrame): void {
  const accept = f.get('accept-version');
  let version = '1.0';
  if (accept !== undefined) {
    const offered = accept.split(',').map((x) => x.trim());
    const v = [...VERSIONS].reverse().find((x) => offered.includes(x));
    if (v === undefined) throw new StompError('Version mismatch', 'Supported versions are 1.0,1.1,1.2\n', true);
    version = v;
  }
  s.useVersion(version);
  const server = s.server;
  const login = f.get('login');
  const passcode = f.get('passcode');
  const def = server.options.stompDefaultUser;
  // stomp.ssl_cert_login: no login header on a verified TLS connection → the certificate's name
  const cert = login === undefined && server.options.stompSslCertLogin ? peerCert(s.socket) : null;
  const certName = cert === null ? null : certLoginName(cert, server.options.certLogin);
  let name: string;
  let pass: string | undefined;
  if (certName !== null) {
    name = certName;
  } else if (login !== undefined) {
    name = login;
    pass = passcode ?? '';
  } else if (def !== null) {
    name = def.name;
    pass = def.password;
  } else throw new StompError('Bad CONNECT', 'Missing login or passcode header(s)', true);
  s.login ??= server.broker.login({
    username: name,
    ...(pass !== undefined ? { password: pass } : {}),
    ...(cert !== null && certName !== null ? { certificate: cert } : {}),
    mechanism: 'PLAIN',
    remoteAddress: s.remoteAddress,
    protocol: 'stomp',
  });
  const auth = s.login;
  // an HTTP backend answers later: CONNECT is handled again with the answer (connection.ts AuthHold)
  if (auth instanceof Promise) throw new AuthzPending(auth.then((r) => (s.login = r)));
  if (typeof auth === 'string') {
    server.log.warn({ user: name, reason: auth }, 'STOMP login refused');
    throw new StompError('Bad CONNECT', `Access refused for user '${name}'\n`, true);
  }
  // the host header names the vhost (rabbit_stomp_processor: login_header(Frame, "host", DefaultVHost))
  const vhostName = f.get('host') ?? server.options.defaultVhost;
  // vhost access from a backend that answers later (HTTP): CONNECT is handled again with the answer
  const access = server.broker.auth.vhostAccess(auth, vhostName);
  if (access instanceof Promise) throw new AuthzPending(access);
  try {
    s.v = server.broker.openVHost(vhostName, auth);
  } catch {
    throw new StompError('Bad CONNECT', `Virtual host '${vhostName}' access denied`, true);
  }
  s.access = new AccessCache(auth, vhostName);
  s.topicVars = { username: auth.name, vhost: vhostName };
  s.user = auth.name;
  s.vhost = vhostName;
  s.protocol = `STOMP ${version}`;
  s.open = true;
  server.broker.register(s);
  server.broker.auth.watchExpiry(s);
  const h: StompHeaders = [
    ['server', 'RabbitMQ/3.10.8'],
    ['session', s.session],
  ];
  {
    // RabbitMQ answers heart-beat even to 1.0 clients (0,0 when none was asked)
    const hb = f.get('heart-beat') ?? '0,0';
    const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(hb);
    if (!m) throw new StompError('Invalid header', `Invalid heart-beat header '${hb}'`, true);
    // the client can send every cx ms and wants to receive every cy ms; we send every cy, expect cx.
    // RabbitMQ's heart-beats are whole seconds: at least 1, rounded down (100 → 1000, 2500 → 2000)
    const cx = wholeSeconds(Number(m[1]));
    const cy = wholeSeconds(Number(m[2]));
    h.push(['heart-beat', `${cy},${cx}`]);
    s.startHeartbeats(cy, cx, EOL);
  }
  h.push(['version', version]);
  s.send('CONNECTED', h);
}

function wholeSeconds(ms: number): number {
  return ms === 0 ? 0 : Math.max(1, Math.floor(ms / 1000)) * 1000;
}
