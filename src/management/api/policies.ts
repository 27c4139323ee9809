// /api/policies (policymaker), /api/operator-policies (administrator), /api/parameters and
// /api/global-parameters, over the core's policy store (VHost.setPolicy / clearPolicy).
import { BrokerError } from '../../core/errors.js';
import { badRequest, bodyObject, notFound, sendJson, sendStatus, type Ctx } from '../context.js';
import { canSeeVHost, requireLevel, vhostParam } from '../auth.js';
import type { Router } from '../router.js';
import { listResult } from '../list.js';
import { policyJson, type Json } from '../views.js';
import { setParameter } from '../../storage/definitions.js';

export function registerPolicies(r: Router): void {
  for (const [base, operator, level] of [
    ['/api/policies', false, 'policymaker'],
    ['/api/operator-policies', true, 'administrator'],
  ] as const) {
    const list = (c: Ctx) => {
      requireLevel(c, level === 'policymaker' ? 'management' : level);
      const only = c.params['vhost'] !== undefined ? vhostParam(c) : undefined;
      const items: Json[] = [];
      for (const v of c.m.broker.vhosts.values()) {
        if (only !== undefined ? v.name !== only : !canSeeVHost(c, v.name)) continue;
        for (const p of (operator ? v.operatorPolicies : v.policies).byName.values()) items.push(policyJson(v.name, p));
      }
      sendJson(c, 200, listResult(c, items));
    };
    r.on('GET', base, list);
    r.on('GET', `${base}/:vhost`, list);
    r.on('GET', `${base}/:vhost/:name`, (c) => {
      requireLevel(c, level === 'policymaker' ? 'management' : level);
      const v = c.m.broker.vhosts.get(vhostParam(c))!;
      const p = (operator ? v.operatorPolicies : v.policies).byName.get(c.params['name']!);
      if (!p) throw notFound();
      sendJson(c, 200, policyJson(v.name, p));
    });
    r.on('PUT', `${base}/:vhost/:name`, (c) => {
      requireLevel(c, level);
      const v = c.m.broker.vhosts.get(vhostParam(c))!;
      const name = c.params['name']!;
      const b = bodyObject(c);
      if (typeof b['pattern'] !== 'string') throw badRequest('[{key_missing,pattern}]');
      if (typeof b['definition'] !== 'object' || b['definition'] === null)
        throw badRequest('[{key_missing,definition}]');
      const existed = (operator ? v.operatorPolicies : v.policies).byName.has(name);
      try {
        v.setPolicy(
          {
            name,
            pattern: b['pattern'],
            applyTo: b['apply-to'] === undefined ? 'all' : String(b['apply-to']),
            priority: b['priority'] === undefined ? 0 : Number(b['priority']),
            definition: b['definition'] as Record<string, unknown>,
          },
          operator,
        );
      } catch (e) {
        if (e instanceof BrokerError) throw badRequest(e.message);
        throw e;
      }
      sendStatus(c, existed ? 204 : 201);
    });
    r.on('DELETE', `${base}/:vhost/:name`, (c) => {
      requireLevel(c, level);
      const v = c.m.broker.vhosts.get(vhostParam(c))!;
      if (!v.clearPolicy(c.params['name']!, operator)) throw notFound();
      sendStatus(c, 204);
    });
  }

  // runtime parameters (shovel, federation-upstream, …): stored and exported; their plugins are not Warren's
  const params = (c: Ctx): Json[] => {
    const out: Json[] = [];
    for (const [vhost, comps] of c.m.broker.parameters) {
      if (!canSeeVHost(c, vhost)) continue;
      if (c.params['vhost'] !== undefined && vhost !== c.params['vhost']) continue;
      for (const [component, names] of comps) {
        if (c.params['component'] !== undefined && component !== c.params['component']) continue;
        for (const [name, value] of names) out.push({ vhost, component, name, value });
      }
    }
    return out;
  };
  r.on('GET', '/api/parameters', (c) => sendJson(c, 200, params(c)));
  r.on('GET', '/api/parameters/:component', (c) => sendJson(c, 200, params(c)));
  r.on('GET', '/api/parameters/:component/:vhost', (c) => {
    vhostParam(c);
    sendJson(c, 200, params(c));
  });
  r.on('GET', '/api/parameters/:component/:vhost/:name', (c) => {
    vhostParam(c);
    const p = params(c).find((x) => x['name'] === c.params['name']);
    if (!p) throw notFound();
    sendJson(c, 200, p);
  });
  r.on('PUT', '/api/parameters/:component/:vhost/:name', (c) => {
    requireLevel(c, 'policymaker');
    const vhost = vhostParam(c);
    const b = bodyObject(c);
    if (!('value' in b)) throw badRequest('[{key_missing,value}]');
    const existed = c.m.broker.parameters.get(vhost)?.get(c.params['component']!)?.has(c.params['name']!) === true;
    setParameter(c.m.broker, vhost, c.params['component']!, c.params['name']!, b['value']);
    sendStatus(c, existed ? 204 : 201);
  });
  r.on('DELETE', '/api/parameters/:component/:vhost/:name', (c) => {
    requireLevel(c, 'policymaker');
    const vhost = vhostParam(c);
    const names = c.m.broker.parameters.get(vhost)?.get(c.params['component']!);
    if (!names || !names.delete(c.params['name']!)) throw notFound();
    c.m.broker.definitionsChanged();
    sendStatus(c, 204);
  });
  r.on('GET', '/api/global-parameters', (c) => {
    requireLevel(c, 'administrator');
    sendJson(c, 200, [{ name: 'cluster_name', value: c.m.broker.clusterName }]);
  });
}
