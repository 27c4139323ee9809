// The cluster's definitions in etcd (issue 14: the source of truth every node watches). The leader writes
// RabbitMQ's definitions JSON to `definitions` after changes (coalesced over 100 ms; each write guarded by
// its leadership, so a deposed leader cannot overwrite its successor's); every node watches the key
// (ClusterState). A new leader imports it over what it restored from its replicated data directory, so a
// declare the old leader answered is there even when the replicated definitions file lagged behind.
// etcd refuses values over 1.5 MiB (--max-request-bytes): past 1 MiB the mirror is skipped with a warning
// and the replicated data directory alone carries the definitions.
import type { Etcd3 } from 'etcd3';
import type { Broker } from '../core/broker.js';
import { exportDefinitions, importDefinitions, type Definitions } from '../storage/definitions.js';
import type { Logger } from '../util/logger.js';
import type { ClusterKeys } from './config.js';

const COALESCE_MS = 100;
const MAX_BYTES = 1024 * 1024;

export class DefinitionsMirror {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private last = '';

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    private readonly broker: Broker,
    private readonly epoch: number,
    private readonly log: Logger,
  ) {}

  /** Hook the broker's definition changes (chained after storage's own hook) and write the current state. */
  start(): void {
    const prev = this.broker.onDefinitionsChanged;
    this.broker.onDefinitionsChanged = (vhost, change) => {
      prev?.(vhost, change);
      this.schedule();
    };
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Wait for the writes scheduled so far (tests, a clean stop). */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
      await this.write();
    }
    while (this.writing) await this.writing;
  }

  private schedule(): void {
    if (this.stopped || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write();
    }, COALESCE_MS);
  }

  private async write(): Promise<void> {
    if (this.writing) {
      this.again = true;
      return;
    }
    const text = JSON.stringify(exportDefinitions(this.broker));
    if (text === this.last) return;
    if (text.length > MAX_BYTES) {
      this.log.warn(`cluster: definitions are ${text.length} bytes, over etcd's limit: not mirrored to etcd`);
      return;
    }
    this.writing = (async () => {
      try {
        const r = await this.client
          .if(this.keys.leader, 'Create', '==', this.epoch)
          .then(this.client.put(this.keys.definitions).value(text))
          .commit();
        if (r.succeeded) this.last = text;
      } catch (e) {
        this.log.warn(`cluster: definitions not written to etcd: ${(e as Error).message}`);
      }
    })();
    await this.writing;
    this.writing = null;
    if (this.again && !this.stopped) {
      this.again = false;
      this.schedule();
    }
  }
}

/** A new leader: the definitions etcd holds, over what storage restored (imports add and update). */
export function importMirrored(broker: Broker, text: string | null, log: Logger): void {
  if (text === null) return;
  try {
    importDefinitions(broker, JSON.parse(text) as Definitions);
  } catch (e) {
    log.warn(`cluster: definitions from etcd not imported: ${(e as Error).message}`);
  }
}
