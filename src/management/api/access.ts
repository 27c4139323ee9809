// /api/users, /api/vhosts, /api/permissions, /api/topic-permissions, /api/vhost-limits: administrator
// only for changes (and for reading users), as rabbit_mgmt_wm_* enforce; statuses as RabbitMQ's
// (201 created, 204 updated/deleted, 404 for a missing user or vhost).
import { DEFAULT_HASHING, hashPassword, isHashingAlgorithm } from '../../core/auth/password.js';
import { badRequest, bodyObject, notFound, sendJson, sendStatus, type Ctx } from '../context.js';
import { canSeeVHost, requireLevel } from '../auth.js';
import { listResult } from '../list.js';
import type { Router } from '../router.js';
import { userJson, vhostJson, type Json } from '../views.js';
import type { User } from '../../core/auth/users.js';

function tagsOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).filter((t) => t !== '');
  if (typeof v === 'string')
    return v
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
  return [];
}

function userParam(c: Ctx, key = 'user'): User {
  const u = c.m.broker.users.users.get(c.params[key]!);
  if (!u) throw notFound();
  return u;
}

function existingVhost(c: Ctx, key = 'vhost'): string {
  const v = c.params[key]!;
  if (!c.m.broker.vhosts.has(v)) throw notFound();
  return v;
}

function permissionJson(user: string, vhost: string, p: { configure: string; write: string; read: string }): Json {
  return { user, vhost, configure: p.configure, write: p.write, read: p.read };
}

function allPermissions(c: Ctx, f: (user: string, vhost: string) => boolean): Json[] {
  const out: Json[] = [];
  for (const u of c.m.broker.users.users.values()) {
    for (const [vhost, p] of u.permissions) if (f(u.name, vhost)) out.push(permissionJson(u.name, vhost, p));
  }
  return out;
}

function allTopicPermissions(c: Ctx, f: (user: string, vhost: string) => boolean): Json[] {
  const out: Json[] = [];
  for (const u of c.m.broker.users.users.values()) {
    for (const [vhost, m] of u.topicPermissions) {
      if (!f(u.name, vhost)) continue;
      for (const t of m.values()) out.push({ user: u.name, vhost, exchange: t.exchange, write: t.write, read: t.read });
    }
  }
  return out;
}

export function registerAccess(r: Router): void {
  // ---- users
  r.on('GET', '/api/users', (c) => {
    requireLevel(c, 'administrator');
    sendJson(c, 200, listResult(c, [...c.m.broker.users.users.values()].map(userJson)));
  });
  r.on('GET', '/api/users/without-permissions', (c) => {
    requireLevel(c, 'administrator');
    sendJson(c, 200, [...c.m.broker.users.users.values()].filter((u) => u.permissions.size === 0).map(userJson));
  });
  r.on('POST', '/api/users/bulk-delete', (c) => {
    requireLevel(c, 'administrator');
    const users = bodyObject(c)['users'];
    if (!Array.isArray(users)) throw badRequest('users must be a list');
    for (const u of users) c.m.broker.deleteUser(String(u));
    sendStatus(c, 204);
  });
  r.on('GET', '/api/users/:user', (c) => {
    requireLevel(c, 'administrator');
    sendJson(c, 200, userJson(userParam(c)));
  });
  r.on('PUT', '/api/users/:user', (c) => {
    requireLevel(c, 'administrator');
    const b = bodyObject(c);
    const name = c.params['user']!;
    const store = c.m.broker.users;
    const existing = store.users.get(name);
    const tags = tagsOf(b['tags']);
    const alg = String(b['hashing_algorithm'] ?? DEFAULT_HASHING);
    if (!isHashingAlgorithm(alg)) throw badRequest(`unknown hashing algorithm ${alg}`);
    let hash: string;
    if (typeof b['password'] === 'string') hash = hashPassword(b['password'], undefined, alg);
    else if (typeof b['password_hash'] === 'string') hash = b['password_hash'];
    else if (existing) hash = existing.passwordHash;
    else throw badRequest('Password or password_hash must be specified');
    store.put(name, hash, tags, alg);
    sendStatus(c, existing ? 204 : 201);
  });
  r.on('DELETE', '/api/users/:user', (c) => {
    requireLevel(c, 'administrator');
    if (!c.m.broker.deleteUser(userParam(c).name)) throw notFound();
    sendStatus(c, 204);
  });
  r.on('GET', '/api/users/:user/permissions', (c) => {
    requireLevel(c, 'administrator');
    const u = userParam(c);
    sendJson(
      c,
      200,
      allPermissions(c, (n) => n === u.name),
    );
  });
  r.on('GET', '/api/users/:user/topic-permissions', (c) => {
    requireLevel(c, 'administrator');
    const u = userParam(c);
    sendJson(
      c,
      200,
      allTopicPermissions(c, (n) => n === u.name),
    );
  });

  // ---- vhosts
  r.on('GET', '/api/vhosts', (c) => {
    const b = c.m.broker;
    const items = [...b.vhosts.values()].filter((v) => canSeeVHost(c, v.name)).map((v) => vhostJson(b, v, c.m.rates));
    sendJson(c, 200, listResult(c, items));
  });
  r.on('GET', '/api/vhosts/:vhost', (c) => {
    const name = existingVhost(c);
    if (!canSeeVHost(c, name)) throw notFound();
    sendJson(c, 200, vhostJson(c.m.broker, c.m.broker.vhosts.get(name)!, c.m.rates));
  });
  r.on('PUT', '/api/vhosts/:vhost', (c) => {
    requireLevel(c, 'administrator');
    const b = bodyObject(c);
    const name = c.params['vhost']!;
    const existed = c.m.broker.vhosts.has(name);
    c.m.broker.addVHost(name, {
      description: b['description'] === undefined ? undefined : String(b['description']),
      tags: b['tags'] === undefined ? undefined : tagsOf(b['tags']),
      defaultQueueType: b['default_queue_type'] === undefined ? undefined : String(b['default_queue_type']),
    });
    if (!existed) {
      // RabbitMQ grants the creating user full permissions on a new vhost
      c.m.broker.users.setPermissions(c.user.name, name, { configure: '.*', write: '.*', read: '.*' });
    }
    sendStatus(c, existed ? 204 : 201);
  });
  r.on('DELETE', '/api/vhosts/:vhost', (c) => {
    requireLevel(c, 'administrator');
    if (!c.m.broker.deleteVHost(existingVhost(c))) throw notFound();
    sendStatus(c, 204);
  });
  r.on('GET', '/api/vhosts/:vhost/permissions', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    sendJson(
      c,
      200,
      allPermissions(c, (_u, vh) => vh === v),
    );
  });
  r.on('GET', '/api/vhosts/:vhost/topic-permissions', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    sendJson(
      c,
      200,
      allTopicPermissions(c, (_u, vh) => vh === v),
    );
  });

  // ---- permissions
  r.on('GET', '/api/permissions', (c) => {
    requireLevel(c, 'administrator');
    sendJson(
      c,
      200,
      allPermissions(c, () => true),
    );
  });
  r.on('GET', '/api/permissions/:vhost/:user', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    const u = userParam(c);
    const p = u.permissions.get(v);
    if (!p) throw notFound();
    sendJson(c, 200, permissionJson(u.name, v, p));
  });
  r.on('PUT', '/api/permissions/:vhost/:user', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    const u = userParam(c);
    const b = bodyObject(c);
    for (const k of ['configure', 'write', 'read']) {
      if (typeof b[k] !== 'string') throw badRequest(`[{key_missing,${k}}]`);
    }
    const existed = u.permissions.has(v);
    c.m.broker.users.setPermissions(u.name, v, {
      configure: b['configure'] as string,
      write: b['write'] as string,
      read: b['read'] as string,
    });
    sendStatus(c, existed ? 204 : 201);
  });
  r.on('DELETE', '/api/permissions/:vhost/:user', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    const u = userParam(c);
    if (!c.m.broker.users.clearPermissions(u.name, v)) throw notFound();
    sendStatus(c, 204);
  });

  // ---- topic permissions
  r.on('GET', '/api/topic-permissions', (c) => {
    requireLevel(c, 'administrator');
    sendJson(
      c,
      200,
      allTopicPermissions(c, () => true),
    );
  });
  r.on('GET', '/api/topic-permissions/:vhost/:user', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    const u = userParam(c);
    const items = allTopicPermissions(c, (n, vh) => n === u.name && vh === v);
    if (items.length === 0) throw notFound();
    sendJson(c, 200, items);
  });
  r.on('PUT', '/api/topic-permissions/:vhost/:user', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    const u = userParam(c);
    const b = bodyObject(c);
    for (const k of ['exchange', 'write', 'read']) {
      if (typeof b[k] !== 'string') throw badRequest(`[{key_missing,${k}}]`);
    }
    const existed = u.topicPermissions.get(v)?.has(b['exchange'] as string) === true;
    c.m.broker.users.setTopicPermission(u.name, v, {
      exchange: b['exchange'] as string,
      write: b['write'] as string,
      read: b['read'] as string,
    });
    sendStatus(c, existed ? 204 : 201);
  });
  r.on('DELETE', '/api/topic-permissions/:vhost/:user', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    const u = userParam(c);
    if (!c.m.broker.users.clearTopicPermissions(u.name, v)) throw notFound();
    sendStatus(c, 204);
  });

  // ---- vhost limits
  const limitsJson = (c: Ctx, only?: string) => {
    const out: Json[] = [];
    for (const [vhost, s] of c.m.broker.vhostSettings) {
      if (only !== undefined && vhost !== only) continue;
      if (Object.keys(s.limits).length > 0) out.push({ vhost, value: { ...s.limits } });
    }
    return out;
  };
  r.on('GET', '/api/vhost-limits', (c) => sendJson(c, 200, limitsJson(c)));
  r.on('GET', '/api/vhost-limits/:vhost', (c) => sendJson(c, 200, limitsJson(c, existingVhost(c))));
  r.on('PUT', '/api/vhost-limits/:vhost/:name', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    const name = c.params['name']!;
    if (name !== 'max-connections' && name !== 'max-queues') throw badRequest(`Unrecognised terms ${name}`);
    const value = Number(bodyObject(c)['value']);
    if (!Number.isInteger(value)) throw badRequest('value must be an integer');
    const s = c.m.broker.vhostSettings.get(v)!;
    c.m.broker.addVHost(v, { limits: { ...s.limits, [name]: value } });
    sendStatus(c, 204);
  });
  r.on('DELETE', '/api/vhost-limits/:vhost/:name', (c) => {
    requireLevel(c, 'administrator');
    const v = existingVhost(c);
    const s = c.m.broker.vhostSettings.get(v)!;
    const limits = { ...s.limits };
    delete limits[c.params['name']!];
    c.m.broker.addVHost(v, { limits });
    sendStatus(c, 204);
  });
}
