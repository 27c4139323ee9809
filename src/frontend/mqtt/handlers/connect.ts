// CONNECT (§3.1): protocol version, session expiry and MQTT 5 limits, the client id (assigned when empty),
// RabbitMQ's "vhost:user" login, the will, the client-id takeover, clean or resumed session, CONNACK.
import { randomBytes } from 'node:crypto';
import type mqttPacket from 'mqtt-packet';
import { AccessCache } from '../../../core/auth/permissions.js';
import { AuthzPending } from '../../../core/auth/authz.js';
import { certLoginName } from '../../../core/auth/cert-login.js';
import { peerCert } from '../../net/peer-cert.js';
import type { VHost } from '../../../core/vhost.js';
import { MAX_PACKET_SIZE, MAX_SESSION_EXPIRY } from '../limits.js';
import { RC3, RC5 } from '../reason-codes.js';
import { argsEqual, type MqttSession } from '../session.js';
import { bindingArgs, optionsFromBinding, Subscription } from '../subscriptions.js';
import { Qos2State } from '../qos2-store.js';
import { applySessionExpiry } from '../session-expiry.js';
import { leaveAllShared, memberSubscriptions } from '../shared.js';
import { OutboundTopicAliases } from '../topic-aliases.js';
import { bindingKeyToFilter, subscriptionQueueName, validTopicName } from '../topics.js';

export function handleConnect(s: MqttSession, p: mqttPacket.IConnectPacket): void {
  s.version = (p.protocolVersion ?? 4) as 3 | 4 | 5;
  s.protocol = s.version === 5 ? 'MQTT 5.0' : s.version === 4 ? 'MQTT 3.1.1' : 'MQTT 3.1';
  let clientId = p.clientId;
  let assigned = false;
  const v5props = p.properties ?? {};
  const server = s.server;
  if (s.version === 5 && v5props.authenticationMethod !== undefined) {
    // §4.12: RabbitMQ supports no enhanced authentication method (rabbit_mqtt_processor
    // check_extended_auth, checked first): CONNACK 0x8C Bad authentication method
    server.log.warn({ method: v5props.authenticationMethod }, 'MQTT enhanced authentication is not supported');
    return s.refuse(RC3.UNAVAILABLE, RC5.BAD_AUTHENTICATION_METHOD);
  }
  if (s.version === 5) {
    s.sessionExpiry = Math.min(v5props.sessionExpiryInterval ?? 0, MAX_SESSION_EXPIRY);
    s.persistent = s.sessionExpiry > 0;
    if (v5props.receiveMaximum !== undefined) s.receiveMaximum = v5props.receiveMaximum;
    if (v5props.maximumPacketSize !== undefined) s.maxPacketSize = v5props.maximumPacketSize;
    // server → client aliases: at most what the client accepts and what Warren is configured for
    const aliasMax = Math.min(v5props.topicAliasMaximum ?? 0, server.options.mqttTopicAliasMaximum);
    if (aliasMax > 0) s.outAliases = new OutboundTopicAliases(aliasMax);
    if (v5props.userProperties !== undefined) s.connectUserProps = { ...v5props.userProperties };
  } else {
    s.persistent = p.clean === false;
  }
  if (clientId === '') {
    // §3.1.3.1: an empty client id is allowed only with a clean session (3.1.1); MQTT 5 assigns one
    if (s.version !== 5 && s.persistent) return s.refuse(RC3.ID_REJECTED, RC5.CLIENT_ID_INVALID);
    clientId = 'warren-' + randomBytes(12).toString('base64url');
    assigned = true;
  }
  // authentication: RabbitMQ's "vhost:user" usernames; no credentials → the default user (guest)
  const o = server.options;
  let username = p.username;
  const password = p.password?.toString('utf8');
  if (username === undefined && password !== undefined) return s.refuse(RC3.BAD_CREDENTIALS, RC5.BAD_CREDENTIALS);
  let vhostName = o.mqttVhost;
  if (username !== undefined) {
    const colon = username.indexOf(':');
    if (colon > 0) {
      vhostName = username.slice(0, colon);
      username = username.slice(colon + 1);
    }
  }
  // mqtt.ssl_cert_login: no user name and no password on a verified TLS connection → the certificate's name
  const cert = o.mqttSslCertLogin && username === undefined && password === undefined ? peerCert(s.socket) : null;
  const certName = cert === null ? null : certLoginName(cert, o.certLogin);
  const name = certName ?? username ?? o.mqttDefaultUser.name;
  const pass = certName !== null ? undefined : username === undefined ? o.mqttDefaultUser.password : (password ?? '');
  s.login ??= server.broker.login({
    username: name,
    ...(pass !== undefined ? { password: pass } : {}),
    ...(cert !== null && certName !== null ? { certificate: cert } : {}),
    mechanism: 'PLAIN',
    remoteAddress: s.remoteAddress,
    protocol: 'mqtt',
    clientId,
  });
  const auth = s.login;
  // an HTTP backend answers later: CONNECT is handled again with the answer (connection.ts AuthHold)
  if (auth instanceof Promise) throw new AuthzPending(auth.then((r) => (s.login = r)));
  if (typeof auth === 'string') {
    server.log.warn({ user: name, reason: auth }, 'MQTT login refused');
    return s.refuse(
      auth.startsWith('Login') ? RC3.BAD_CREDENTIALS : RC3.NOT_AUTHORIZED,
      auth.startsWith('Login') ? RC5.BAD_CREDENTIALS : RC5.NOT_AUTHORIZED,
    );
  }
  let vhost: VHost;
  // RabbitMQ 3.10: a vhost that does not exist is "bad user name or password" (4), one the user may
  // not access is "not authorised" (5)
  if (!server.broker.vhosts.has(vhostName)) {
    server.log.warn({ user: name, vhost: vhostName }, 'MQTT login to a missing vhost');
    return s.refuse(RC3.BAD_CREDENTIALS, RC5.BAD_CREDENTIALS);
  }
  // vhost access from a backend that answers later (HTTP): CONNECT is handled again with the answer
  const access = server.broker.auth.vhostAccess(auth, vhostName);
  if (access instanceof Promise) throw new AuthzPending(access);
  try {
    vhost = server.broker.openVHost(vhostName, auth);
  } catch (e) {
    server.log.warn({ user: name, vhost: vhostName, reason: (e as Error).message }, 'MQTT vhost refused');
    return s.refuse(RC3.NOT_AUTHORIZED, RC5.NOT_AUTHORIZED);
  }
  s.user = auth.name;
  s.vhost = vhostName;
  s.v = vhost;
  s.access = new AccessCache(auth, vhostName);
  s.topicVars = { username: auth.name, vhost: vhostName, client_id: clientId };
  s.clientId = clientId;
  s.keepalive = p.keepalive ?? 0;
  s.will = p.will ?? null;
  if (s.will && !validTopicName(s.will.topic)) {
    return s.refuse(RC3.NOT_AUTHORIZED, RC5.TOPIC_NAME_INVALID);
  }
  if (s.will && (s.will.qos ?? 0) > 1 && s.version === 5 && !s.exactlyOnce) {
    return s.refuse(RC3.NOT_AUTHORIZED, RC5.QOS_NOT_SUPPORTED);
  }
  // §3.1.4-2: a second connection with the same client id takes the session over
  server.takeOver(s);
  const cleanStart = s.version === 5 ? p.clean !== false : !s.persistent;
  const queues = [0, 1, 2].map((qos) => subscriptionQueueName(clientId, qos as 0 | 1 | 2));
  const key = server.sessionKey(vhostName, clientId);
  if (cleanStart) {
    // clean session: whatever the previous session left goes (rabbit_mqtt_processor maybe_clean_sess)
    server.qos2.delete(key);
    for (const q of queues) if (vhost.queues.has(q)) vhost.deleteQueue(q, false, false, null);
    leaveAllShared(vhost, clientId, o.mqttExchange);
  }
  const shared = cleanStart ? [] : memberSubscriptions(vhost, clientId, o.mqttExchange);
  // a persistent session's QoS 2 state (qos2-store.ts) is part of it: ids awaiting PUBREL or PUBCOMP
  const stored = cleanStart ? undefined : server.qos2.get(key, Date.now());
  const sessionPresent =
    !cleanStart &&
    (queues.some((q) => vhost.queues.has(q)) || shared.length !== 0 || (stored !== undefined && !stored.empty));
  if (sessionPresent) {
    loadSubscriptions(s);
    for (const [, sub] of shared) s.subs.set(sub);
    // a resumed session's queues expire after this CONNECT's interval (RabbitMQ maybe_update_session_expiry_interval)
    applySessionExpiry(s);
  }
  if (s.persistent && s.exactlyOnce) {
    const st = sessionPresent && stored !== undefined ? stored : new Qos2State();
    if (st !== stored) server.qos2.delete(key);
    st.expiresAt = Infinity;
    server.qos2.set(key, st);
    s.qos2 = st;
    s.qos2Stored = true;
  }
  s.open = true;
  server.broker.register(s);
  server.broker.auth.watchExpiry(s);
  // RabbitMQ 3.13's CONNACK properties, no more: Retain, Wildcard Subscription and Subscription Identifier
  // Available are left out, which tells the client they are available (§3.2.2.3.5, .11, .12)
  const connack: mqttPacket.IConnackPacket =
    s.version === 5
      ? {
          cmd: 'connack',
          reasonCode: 0,
          sessionPresent,
          properties: {
            // QoS 2 is available unless downgraded (absent means 2, §3.2.2.3.4)
            ...(s.exactlyOnce ? {} : { maximumQoS: 1 as const }),
            topicAliasMaximum: o.mqttTopicAliasMaximum,
            maximumPacketSize: MAX_PACKET_SIZE,
            sessionExpiryInterval: s.sessionExpiry,
            ...(assigned ? { assignedClientIdentifier: clientId } : {}),
          },
        }
      : { cmd: 'connack', returnCode: 0, sessionPresent };
  s.send(connack);
  // a resumed session: PUBRELs awaiting PUBCOMP again ([MQTT-4.4.0-1]), then its queues get their
  // consumers back (QoS 2 deliveries never PUBRECed first, with their ids; queued messages flow at once)
  if (sessionPresent) {
    for (const id of s.qos2.released) s.send({ cmd: 'pubrel', messageId: id });
    for (const qos of [2, 1, 0] as const) if (vhost.queues.has(queues[qos]!)) s.ensureConsumer(qos);
    for (const [q, sub] of shared) s.ensureSharedConsumer(q, sub.opts.qos);
  }
}

/**
 * A resumed session: its subscriptions are the bindings of its queues from the MQTT exchange (an MQTT 5
 * one's options in their arguments). As rabbit_mqtt_processor's init_subscriptions, an MQTT 5 client
 * resuming a 3.1.1 session gets its bindings re-made with options, a 3.1.1 client resuming an MQTT 5
 * session gets them re-made without.
 */
function loadSubscriptions(s: MqttSession): void {
  const v = s.v!;
  const exName = s.server.options.mqttExchange;
  const v5 = s.version === 5;
  s.subs.clear();
  for (const qos of [0, 1, 2] as const) {
    const q = v.queues.get(subscriptionQueueName(s.clientId, qos));
    if (q === undefined) continue;
    for (const b of [...q.bindings]) {
      if (b.source.name !== exName) continue;
      const opts = optionsFromBinding(b, qos);
      const args = bindingArgs(v5, b.routingKey, opts);
      if (!argsEqual(args, b.args)) {
        v.bindQueue(q.name, exName, b.routingKey, args, null);
        v.unbindQueue(q.name, exName, b.routingKey, b.args, null);
      }
      s.subs.set(new Subscription(bindingKeyToFilter(b.routingKey), b.routingKey, opts, args));
    }
  }
}
