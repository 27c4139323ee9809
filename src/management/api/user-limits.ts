// /api/user-limits (rabbit_mgmt_wm_user_limits, rabbit_mgmt_wm_user_limit): the per-user max-connections and
// max-channels that `rabbitmqctl set_user_limits` and Broker.setUserLimits set, listed as RabbitMQ lists them
// ([{user, value: {name: n}}], only users with limits), set one at a time with PUT {"value": n} and cleared
// with DELETE, administrator only. Statuses and error texts are RabbitMQ 3.10's.
import { badRequest, bodyObject, notFound, sendJson, sendStatus, type Ctx } from '../context.js';
import { requireLevel } from '../auth.js';
import type { Router } from '../router.js';
import { sortedLimits, type Json } from '../views.js';
import { USER_LIMIT_KEYS, type UserLimits } from '../../core/resource-limits.js';

function limitsList(c: Ctx, only?: string): Json[] {
  const out: Json[] = [];
  for (const u of c.m.broker.users.users.values()) {
    if (only !== undefined && u.name !== only) continue;
    if (Object.keys(u.limits).length > 0) out.push({ user: u.name, value: sortedLimits(u.limits) });
  }
  return out;
}

export function registerUserLimits(r: Router): void {
  r.on('GET', '/api/user-limits', (c) => {
    requireLevel(c, 'administrator');
    sendJson(c, 200, limitsList(c));
  });
  r.on('GET', '/api/user-limits/:user', (c) => {
    requireLevel(c, 'administrator');
    if (!c.m.broker.users.users.has(c.params['user']!)) throw notFound();
    sendJson(c, 200, limitsList(c, c.params['user']));
  });
  r.on('PUT', '/api/user-limits/:user/:name', (c) => {
    requireLevel(c, 'administrator');
    const user = c.params['user']!;
    const name = c.params['name']!;
    const body = bodyObject(c);
    if (!('value' in body)) throw badRequest('[{key_missing,value}]');
    const value = body['value'];
    if (!(USER_LIMIT_KEYS as readonly string[]).includes(name)) {
      throw badRequest(`Unrecognised terms [{<<"${name}">>,${JSON.stringify(value)}}] in user-limits`);
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      const shown = typeof value === 'string' ? `<<"${value}">>` : JSON.stringify(value);
      throw badRequest(`${name} should be a number, actually was ${shown}`);
    }
    const u = c.m.broker.users.users.get(user);
    // RabbitMQ answers a missing user here with 400 ["no_such_user", name], not 404
    if (!u) {
      return sendJson(c, 400, { error: 'bad_request', reason: ['no_such_user', user] });
    }
    c.m.broker.setUserLimits(user, { ...u.limits, [name]: value });
    sendStatus(c, 204);
  });
  r.on('DELETE', '/api/user-limits/:user/:name', (c) => {
    requireLevel(c, 'administrator');
    const u = c.m.broker.users.users.get(c.params['user']!);
    // RabbitMQ 3.10 crashes (500) here; a plain 404 says the same without the crash
    if (!u) throw notFound();
    const limits: Record<string, number | undefined> = { ...u.limits };
    // clearing a limit that is not set (or unknown) is a no-op 204, as in RabbitMQ
    delete limits[c.params['name']!];
    c.m.broker.setUserLimits(u.name, limits as UserLimits);
    sendStatus(c, 204);
  });
}
