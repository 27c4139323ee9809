// CONNECT / STOMP (§CONNECT or STOMP Frame): version negotiation (accept-version), login (or the
// configured default user), the vhost from the host header, heart-beats, CONNECTED.
import { AccessCache } from '../../../core/auth/permissions.js';
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
  let name: string;
  let pass: string;
  if (login !== undefined) {
    name = login;
    pass = passcode ?? '';
  } else if (def !== null) {
    name = def.name;
    pass = def.password;
  } else throw new StompError('Bad CONNECT', 'Missing login or passcode header(s)', true);
  const auth = server.broker.authenticate(name, pass, s.remoteAddress);
  if (typeof auth === 'string') {
    server.log.warn({ user: name, reason: auth }, 'STOMP login refused');
    throw new StompError('Bad CONNECT', `Access refused for user '${name}'\n`, true);
  }
  // the host header names the vhost (rabbit_stomp_processor: login_header(Frame, "host", DefaultVHost))
  const vhostName = f.get('host') ?? server.options.defaultVhost;
  try {
    s.v = server.broker.openVHost(vhostName, auth);
  } catch {
    throw new StompError('Bad CONNECT', `Virtual host '${vhostName}' access denied`, true);
  }
  s.access = new AccessCache(auth, vhostName);
  s.topicVars = { username: name, vhost: vhostName };
  s.user = name;
  s.vhost = vhostName;
  s.protocol = `STOMP ${version}`;
  s.open = true;
  server.broker.register(s);
  const h: StompHeaders = [
    ['server', 'RabbitMQ/3.10.8'],
    ['session', s.session],
  ];
  {
    // RabbitMQ answers heart-beat even to 1.0 clients (0,0 when none was asked)
    const hb = f.get('heart-beat') ?? '0,0';
    const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(hb);
    if (!m) throw new StompError('Invalid header', `Invalid heart-beat header '${hb}'`, true);
    // the client can send every cx ms and wants to receive every cy ms; we send every cy, expect cx
    const cx = Number(m[1]);
    const cy = Number(m[2]);
    h.push(['heart-beat', `${cy},${cx}`]);
    s.startHeartbeats(cy, cx, EOL);
  }
  h.push(['version', version]);
  s.send('CONNECTED', h);
}
