// What a node of a Warren cluster (issue 14, src/cluster/) tells the rest of the broker about the cluster:
// management's /api/nodes and queue members, `warren ctl cluster_status`, Prometheus. A leaf: the cluster
// layer implements it, management reads it, neither imports the other. Null on a single node.

/** One node as etcd knows it (registered under `nodes/`, alive while its lease holds `members/`). */
export interface ClusterNodeInfo {
  /** Node name (`warren@NAME`). */
  name: string;
  /** Its lease is alive (RabbitMQ's running_nodes). */
  running: boolean;
  role: 'leader' | 'follower' | 'down';
  /** In the in-sync set: it has every confirmed message and may become leader. */
  inSync: boolean;
  /** Address other nodes and proxies reach it at, and its listeners (protocol → port). */
  host: string;
  ports: Record<string, number>;
  /** Cluster (inter-node replication) port. */
  clusterPort: number;
  version: string;
  /** When it registered (ms since the epoch), for uptime. */
  startedAt: number;
}

export interface ClusterInfo {
  clusterName: string;
  /** This node's name. */
  nodeName: string;
  /** The leader's node name, null while there is none. */
  leader(): string | null;
  /** Every known node (running or not), sorted by name. */
  nodes(): ClusterNodeInfo[];
  /** Remove a node that is down from the cluster (rabbitmqctl forget_cluster_node). */
  forget(name: string): Promise<void>;
}
