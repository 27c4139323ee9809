// GET/POST /api/definitions (and per vhost): RabbitMQ's definitions.json, the same format the file store
// keeps and `loadDefinitions` reads at boot. Import errors answer 400 with the core's reason; what was
// imported before the failing item stays, as in RabbitMQ.
import { RABBITMQ_COMPAT_VERSION } from '../../frontend/amqp/server-properties.js';
import { BrokerError } from '../../core/errors.js';
import { exportDefinitions, importDefinitions, type Definitions } from '../../storage/definitions.js';
import { VERSION } from '../../version.js';
import { badRequest, bodyObject, sendJson, sendStatus, type Ctx } from '../context.js';
import { requireLevel, vhostParam } from '../auth.js';
import type { Router } from '../router.js';

function header() {
  return {
    rabbit_version: RABBITMQ_COMPAT_VERSION,
    rabbitmq_version: RABBITMQ_COMPAT_VERSION,
    product_name: 'Warren',
    product_version: VERSION,
  };
}

export function httpExport(c: Ctx, vhost?: string): Record<string, unknown> {
  const d = exportDefinitions(c.m.broker);
  if (vhost === undefined) {
    return {
      ...header(),
      users: d.users,
      vhosts: d.vhosts,
      permissions: d.permissions,
      topic_permissions: d.topic_permissions,
      parameters: d.parameters,
      global_parameters: [{ name: 'cluster_name', value: c.m.broker.clusterName }],
      policies: d.policies,
      queues: d.queues,
      exchanges: d.exchanges,
      bindings: d.bindings,
    };
  }
  const only = <T extends { vhost: string }>(xs: T[] | undefined) =>
    (xs ?? []).filter((x) => x.vhost === vhost).map(({ vhost: _v, ...rest }) => rest);
  return {
    ...header(),
    parameters: only(d.parameters),
    policies: only(d.policies),
    queues: only(d.queues),
    exchanges: only(d.exchanges),
    bindings: only(d.bindings),
  };
}

/** The string fields each kind of definition cannot do without. */
const REQUIRED: Record<string, string[]> = {
  users: ['name'],
  vhosts: ['name'],
  permissions: ['user', 'vhost'],
  topic_permissions: ['user', 'vhost'],
  parameters: ['component', 'vhost', 'name'],
  policies: ['vhost', 'name'],
  exchanges: ['vhost', 'name'],
  queues: ['vhost', 'name'],
  bindings: ['vhost', 'source', 'destination'],
};

function doImport(c: Ctx, vhost?: string): void {
  const b = bodyObject(c) as Partial<Definitions> & Record<string, unknown>;
  const defs: Definitions = {
    users: [],
    vhosts: [],
    permissions: [],
    exchanges: [],
    queues: [],
    bindings: [],
  };
  const list = (k: string): Record<string, unknown>[] => {
    const v = b[k];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw badRequest(`${k} must be a list`);
    const items = vhost === undefined ? v : v.map((x: Record<string, unknown>) => ({ ...x, vhost }));
    // every item an object with its names as strings (found by the fuzzer: a null item or one without a
    // name reached the core and was a 500)
    for (const x of items as unknown[]) {
      const o = x as Record<string, unknown> | null;
      if (typeof o !== 'object' || o === null || Array.isArray(o) || REQUIRED[k]!.some((f) => typeof o[f] !== 'string'))
        throw badRequest(`every item of ${k} must be an object with ${REQUIRED[k]!.join(', ')} as strings`);
    }
    return items as Record<string, unknown>[];
  };
  if (vhost === undefined) {
    defs.users = list('users') as unknown as Definitions['users'];
    defs.vhosts = list('vhosts') as unknown as Definitions['vhosts'];
    defs.permissions = list('permissions') as unknown as Definitions['permissions'];
    defs.topic_permissions = list('topic_permissions') as unknown as Definitions['topic_permissions'];
  }
  defs.parameters = list('parameters') as unknown as Definitions['parameters'];
  defs.policies = list('policies') as unknown as Definitions['policies'];
  defs.exchanges = list('exchanges') as unknown as Definitions['exchanges'];
  defs.queues = list('queues') as unknown as Definitions['queues'];
  defs.bindings = list('bindings') as unknown as Definitions['bindings'];
  try {
    importDefinitions(c.m.broker, defs);
  } catch (e) {
    if (e instanceof BrokerError) throw badRequest(e.message);
    throw e;
  }
}

export function registerDefinitions(r: Router): void {
  r.on('GET', '/api/definitions', (c) => {
    requireLevel(c, 'administrator');
    sendJson(c, 200, httpExport(c));
  });
  r.on('POST', '/api/definitions', (c) => {
    requireLevel(c, 'administrator');
    doImport(c);
    sendStatus(c, 204);
  });
  r.on('GET', '/api/definitions/:vhost', (c) => {
    requireLevel(c, 'administrator');
    sendJson(c, 200, httpExport(c, vhostParam(c)));
  });
  r.on('POST', '/api/definitions/:vhost', (c) => {
    requireLevel(c, 'administrator');
    doImport(c, vhostParam(c));
    sendStatus(c, 204);
  });
}
