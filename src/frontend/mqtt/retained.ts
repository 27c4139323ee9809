// Retained messages (MQTT 3.1.1 §3.3.1.3): the last retained PUBLISH per topic and vhost, handed to new
// subscribers of a matching filter. RabbitMQ keeps them in a per-vhost store of the MQTT plugin
// (rabbit_mqtt_retained_msg_store_dets, on disk by default); Warren keeps them behind this interface:
// memory for storage:'memory', a JSON file in the data directory for storage:'file' (written like
// definitions.json: temp file, fsync, rename, coalesced over 50 ms). Each vhost's messages are a topic tree
// (retained-tree.ts), so a wildcard subscription walks the branches its filter can match, not every topic.
import { readJsonFile, writeJsonFile } from '../../util/json-file.js';
import { join } from 'node:path';
import type { Logger } from '../../util/logger.js';
import { RetainedTree, type RetainedMatches } from './retained-tree.js';

export interface RetainedMessage {
  topic: string;
  payload: Buffer;
  /** Retained QoS (0, 1 or 2). */
  qos: number;
  /** mqttFormat props (MQTT 5 properties). */
  props: Buffer;
  /** ms since the epoch, for MQTT 5 message expiry. */
  storedAt: number;
}

export interface RetainedStore {
  /** The retained messages of a vhost (live view; do not modify). */
  all(vhost: string): Iterable<RetainedMessage>;
  /** The retained message of one topic. */
  get(vhost: string, topic: string): RetainedMessage | undefined;
  /** The retained messages a (wildcard) topic filter matches, walked a bounded step at a time. */
  matching(vhost: string, filter: string): RetainedMatches<RetainedMessage>;
  /** Store, or with an empty payload clear (§3.3.1.3: a zero-byte retained message removes it). */
  put(vhost: string, m: RetainedMessage): void;
  close(): Promise<void>;
}

/** The tree of a vhost without retained messages. */
const EMPTY = new RetainedTree<RetainedMessage>();

export class MemoryRetainedStore implements RetainedStore {
  protected readonly byVhost = new Map<string, RetainedTree<RetainedMessage>>();

  all(vhost: string): Iterable<RetainedMessage> {
    return this.byVhost.get(vhost)?.values() ?? [];
  }

  get(vhost: string, topic: string): RetainedMessage | undefined {
    return this.byVhost.get(vhost)?.get(topic);
  }

  matching(vhost: string, filter: string): RetainedMatches<RetainedMessage> {
    return (this.byVhost.get(vhost) ?? EMPTY).match(filter);
  }

  put(vhost: string, m: RetainedMessage): void {
    const v = this.tree(vhost);
    if (m.payload.length === 0) v.delete(m.topic);
    else v.set({ ...m, payload: own(m.payload), props: own(m.props) });
    this.changed();
  }

  protected tree(vhost: string): RetainedTree<RetainedMessage> {
    let v = this.byVhost.get(vhost);
    if (!v) this.byVhost.set(vhost, (v = new RetainedTree()));
    return v;
  }

  protected changed(): void {}

  async close(): Promise<void> {}
}

/**
 * The bytes in a buffer of their own: a payload as it came is a slice of the socket's read (up to 64 KiB) or of
 * Node's 8 KiB pool, and kept for good it kept all of that alive (the MQTT fuzz run's retained messages: 8.5 KiB
 * of buffers each for payloads of a few hundred bytes on average). Stores are rare next to publishes.
 */
function own(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return b;
  const c = Buffer.allocUnsafeSlow(b.length);
  b.copy(c);
  return c;
}

interface StoredFile {
  version: 1;
  vhosts: Record<string, { topic: string; payload: string; qos: number; props: string; storedAt: number }[]>;
}

export class FileRetainedStore extends MemoryRetainedStore {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {
    super();
  }

  static async open(dataDir: string, log: Logger): Promise<FileRetainedStore> {
    const s = new FileRetainedStore(join(dataDir, 'mqtt_retained.json'), log);
    const data = await readJsonFile<StoredFile>(s.file);
    if (data !== null) {
      for (const [vhost, list] of Object.entries(data.vhosts)) {
        const tree = s.tree(vhost);
        for (const r of list) {
          tree.set({
            topic: r.topic,
            payload: Buffer.from(r.payload, 'base64'),
            qos: r.qos,
            props: Buffer.from(r.props, 'base64'),
            storedAt: r.storedAt,
          });
        }
      }
    }
    return s;
  }

  protected override changed(): void {
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.writing = this.writing.then(() => this.write());
    }, 50);
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const data: StoredFile = { version: 1, vhosts: {} };
    for (const [vhost, tree] of this.byVhost) {
      data.vhosts[vhost] = [...tree.values()].map((r) => ({
        topic: r.topic,
        payload: r.payload.toString('base64'),
        qos: r.qos,
        props: r.props.toString('base64'),
        storedAt: r.storedAt,
      }));
    }
    try {
      await writeJsonFile(this.file, data);
    } catch (e) {
      this.log.error({ err: e }, 'could not write retained messages');
    }
  }

  override async close(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.writing = this.writing.then(() => this.write());
    }
    await this.writing;
  }
}
