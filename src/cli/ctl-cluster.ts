// rabbitmqctl's cluster commands over the management API: cluster_status (its sections as rabbitmqctl
// 3.10 prints them, without the terminal's bold) and forget_cluster_node (its errors and exit code 69).
import { CtlError, enc, EX_UNAVAILABLE, need, type CtlClient } from './ctl-client.js';
import type { CtlCommand, CtlOptions, Io, Row } from './ctl-options.js';

const PURPOSE: Record<string, string> = {
  amqp: 'AMQP 0-9-1 and AMQP 1.0',
  'amqp/ssl': 'AMQP 0-9-1 and AMQP 1.0 over TLS',
  http: 'HTTP API',
  'http/prometheus': 'Prometheus exporter API over HTTP',
  mqtt: 'MQTT',
  'mqtt/ssl': 'MQTT over TLS',
  stomp: 'STOMP',
  'stomp/ssl': 'STOMP over TLS',
  'http/web-mqtt': 'MQTT over WebSockets',
  'http/web-stomp': 'STOMP over WebSockets',
  'https/web-mqtt': 'MQTT over WebSockets and TLS (HTTPS)',
  'https/web-stomp': 'STOMP over WebSockets and TLS (HTTPS)',
};

async function clusterStatus(c: CtlClient, args: string[], o: CtlOptions, io: Io): Promise<void> {
  need(args, 0);
  const ov = await c.get<Row>('/api/overview');
  const nodes = await c.get<Row[]>('/api/nodes');
  const name = (n: Row) => String(n['name']);
  const disk = nodes.map(name).sort();
  const running = nodes.filter((n) => n['running'] === true).map(name);
  const version = (n: Row) => {
    const app = (n['applications'] as Row[] | undefined)?.find((a) => a['name'] === 'warren');
    return app ? `Warren ${String(app['version'])} (RabbitMQ ${String(ov['rabbitmq_version'])}) on Node.js` : '';
  };
  const alarms: string[] = [];
  for (const n of nodes) {
    if (n['disk_free_alarm'] === true) alarms.push(`Node ${name(n)} reported an alarm: disk`);
    if (n['mem_alarm'] === true) alarms.push(`Node ${name(n)} reported an alarm: memory`);
  }
  const listeners = (ov['listeners'] as Row[]).map((l) => ({
    node: String(l['node']),
    interface: String(l['ip_address']),
    port: Number(l['port']),
    protocol: String(l['protocol']),
    purpose: PURPOSE[String(l['protocol'])] ?? String(l['protocol']),
  }));
  const leader = nodes.find((n) => n['warren_role'] === 'leader');
  const inSync = nodes.filter((n) => n['warren_in_sync'] === true).map(name);
  if (o.formatter === 'json') {
    io.out(
      JSON.stringify({
        alarms,
        cluster_name: ov['cluster_name'],
        disk_nodes: disk,
        running_nodes: running,
        ram_nodes: [],
        versions: Object.fromEntries(nodes.filter((n) => n['running'] === true).map((n) => [name(n), version(n)])),
        maintenance_status: Object.fromEntries(running.map((n) => [n, 'not under maintenance'])),
        partitions: {},
        listeners: Object.fromEntries(
          running.map((n) => [n, listeners.filter((l) => l.node === n).map(({ node: _n, ...l }) => l)]),
        ),
        warren_leader: leader ? name(leader) : null,
        warren_in_sync: inSync,
      }) + '\n',
    );
    return;
  }
  if (!o.quiet) io.out(`Cluster status of node ${String(ov['node'])} ...\n`);
  const lines = [
    'Basics',
    '',
    `Cluster name: ${String(ov['cluster_name'])}`,
    '',
    'Disk Nodes',
    '',
    ...disk,
    '',
    'Running Nodes',
    '',
    ...running,
    '',
    'Versions',
    '',
    ...nodes.filter((n) => n['running'] === true).map((n) => `${name(n)}: ${version(n)}`),
    '',
    'Maintenance status',
    '',
    ...running.map((n) => `Node: ${n}, status: not under maintenance`),
    '',
    'Alarms',
    '',
    ...(alarms.length === 0 ? ['(none)'] : alarms),
    '',
    'Network Partitions',
    '',
    '(none)',
    '',
    'Listeners',
    '',
    ...listeners.map(
      (l) =>
        `Node: ${l.node}, interface: ${l.interface}, port: ${l.port}, protocol: ${l.protocol}, purpose: ${l.purpose}`,
    ),
  ];
  if (leader !== undefined) {
    // Warren's own: who leads and who may take over (RabbitMQ has one leader per quorum queue instead)
    lines.push('', 'Leader', '', name(leader), '', 'In-sync Nodes', '', ...inSync);
  }
  io.out(lines.join('\n') + '\n');
}

async function forgetClusterNode(c: CtlClient, args: string[], o: CtlOptions, io: Io): Promise<void> {
  need(args, 1);
  const node = args[0]!;
  if (!o.quiet) io.out(`Removing node ${node} from the cluster\n`);
  const r = await c.request('DELETE', `/api/nodes/${enc(node)}`);
  if (r.status === 204) return;
  if (r.status === 404) throw new CtlError(`\n{:not_a_cluster_node, 'The node selected is not in the cluster.'}`, 69);
  if (r.status === 409) {
    throw new CtlError(`\n{:failed_to_remove_node, :"${node}", {:active, "Mnesia is running", :"${node}"}}`, 69);
  }
  const reason = (r.json as { reason?: string } | null)?.reason ?? `HTTP ${r.status}`;
  throw new CtlError(reason, EX_UNAVAILABLE);
}

export function registerCluster(commands: Record<string, CtlCommand>): void {
  commands['cluster_status'] = clusterStatus;
  commands['forget_cluster_node'] = forgetClusterNode;
}
