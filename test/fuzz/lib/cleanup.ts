// Between and after fuzz runs: delete what the cases left behind (queues, exchanges, vhosts, users,
// policies, parameters), through the management API, so memory can be compared with the baseline.
export async function cleanup(managementPort: number): Promise<void> {
  const base = `http://127.0.0.1:${managementPort}/api`;
  const headers = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };
  const get = async (p: string): Promise<Record<string, unknown>[]> => {
    const r = await fetch(base + p, { headers });
    return r.ok ? ((await r.json()) as Record<string, unknown>[]) : [];
  };
  const del = async (p: string): Promise<void> => {
    await fetch(base + p, { method: 'DELETE', headers }).then((r) => r.arrayBuffer());
  };
  const e = encodeURIComponent;
  for (const q of await get('/queues?columns=name,vhost'))
    if (q.name !== 'fz.probe') await del(`/queues/${e(q.vhost as string)}/${e(q.name as string)}`);
  for (const x of await get('/exchanges?columns=name,vhost'))
    if (x.name !== '' && !(x.name as string).startsWith('amq.'))
      await del(`/exchanges/${e(x.vhost as string)}/${e(x.name as string)}`);
  for (const v of await get('/vhosts')) if (v.name !== '/') await del(`/vhosts/${e(v.name as string)}`);
  for (const u of await get('/users')) if (u.name !== 'guest') await del(`/users/${e(u.name as string)}`);
  for (const p of await get('/policies')) await del(`/policies/${e(p.vhost as string)}/${e(p.name as string)}`);
  for (const p of await get('/operator-policies'))
    await del(`/operator-policies/${e(p.vhost as string)}/${e(p.name as string)}`);
  for (const p of await get('/parameters'))
    await del(`/parameters/${e(p.component as string)}/${e(p.vhost as string)}/${e(p.name as string)}`);
  for (const p of await get('/global-parameters'))
    if (p.name !== 'cluster_name' && p.name !== 'internal_cluster_id')
      await del(`/global-parameters/${e(p.name as string)}`);
}
