// A small JSON state file (MQTT retained messages, QoS 2 session state): read at start, replaced whole; in
// a cluster, a write is done once the followers have it too (util/file-events.ts).
import { openFile as open, readFile, rename } from '../storage/io.js';
import { fileEvents, fileChanged, fileReplicated } from './file-events.js';

/** The file's JSON, or null when there is none yet. */
export async function readJsonFile<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Replace the file with `data`: written to a temp file, fsynced, renamed over it (never half a file). */
export async function writeJsonFile(file: string, data: unknown): Promise<void> {
  const tmp = file + '.tmp';
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(data));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  if (fileEvents.active) {
    // in a cluster, what waits for this write (a QoS 2 PUBREC, PUBCOMP) waits for the followers too
    fileChanged(file);
    await fileReplicated(file);
  }
}
