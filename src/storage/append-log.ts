// A small append-only log of JSON records (one per line) for the file storage's side stores (delayed
// messages, deduplication caches): appends are coalesced into one write and one fsync per event-loop
// turn; at start the log is replayed and rewritten with only the live records (write-temp, fsync,
// rename); a user may rewrite it while running too (delayed-store.ts). A torn last line (a crash
// mid-write) is skipped.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from './io.js';
import type { Logger } from '../util/logger.js';
import { fileEvents, fileChanged } from '../util/file-events.js';

export class AppendLog {
  private fd: number;
  private pending: string[] = [];
  private scheduled = false;

  private constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {
    this.fd = openSync(file, 'a');
  }

  /** The records in `file`, in order (torn or unparsable lines skipped). */
  static read<T>(file: string, log: Logger): T[] {
    if (!existsSync(file)) return [];
    const out: T[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        log.warn({ file }, 'skipping a torn record');
      }
    }
    return out;
  }

  /** Replace `file` with `records` (compaction), then open it for appends. */
  static rewrite(file: string, records: readonly unknown[], log: Logger): AppendLog {
    return AppendLog.rewriteLines(
      file,
      records.map((r) => JSON.stringify(r)),
      log,
    );
  }

  /** Replace `file` with records already serialised, one a line. */
  static rewriteLines(file: string, lines: readonly string[], log: Logger): AppendLog {
    const tmp = file + '.tmp';
    const fd = openSync(tmp, 'w');
    if (lines.length !== 0) writeSync(fd, lines.join('\n') + '\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
    if (fileEvents.active) fileChanged(file);
    return new AppendLog(file, log);
  }

  append(record: unknown): void {
    this.appendLine(JSON.stringify(record));
  }

  /** Append a record already serialised (one line of JSON). */
  appendLine(line: string): void {
    this.pending.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushLater);
  }
  // (made once: a closure in appendLine cost a context on every call; log/segment-log.ts schedule)
  private readonly flushLater = (): void => this.flush();

  /** One write and one fsync for everything appended this turn. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.fd < 0) return;
    const data = this.pending.join('\n') + '\n';
    this.pending = [];
    try {
      writeSync(this.fd, data);
      if (fileEvents.active) fileChanged(this.file);
      fsyncSync(this.fd);
    } catch (e) {
      this.log.error({ err: e, file: this.file }, 'could not append to the log');
    }
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
