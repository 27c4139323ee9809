// Recorded real client sessions (bench/fuzz/record.ts): test/fuzz/corpus/<protocol>.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.js';

export interface RecordedSession {
  client: string;
  /** The client's writes as the broker received them, in order. */
  chunks: Buffer[];
  /** All of them in one buffer. */
  bytes: Buffer;
}

const cache = new Map<string, RecordedSession[]>();

export function corpus(protocol: 'amqp' | 'mqtt' | 'stomp' | 'stream'): RecordedSession[] {
  let c = cache.get(protocol);
  if (!c) {
    const j = JSON.parse(readFileSync(join(REPO_ROOT, 'test/fuzz/corpus', `${protocol}.json`), 'utf8')) as {
      sessions: { client: string; chunks: string[] }[];
    };
    c = j.sessions.map((s) => {
      const chunks = s.chunks.map((x) => Buffer.from(x, 'base64'));
      return { client: s.client, chunks, bytes: Buffer.concat(chunks) };
    });
    cache.set(protocol, c);
  }
  return c;
}
