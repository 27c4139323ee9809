// Test helper: `warrenctl --url URL ARGS` as a user runs it (bin/warrenctl in a child process), resolved with
// its exit code and what it wrote.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface CtlResult {
  code: number;
  out: string;
  err: string;
}

/** Run warrenctl against the management API at `url` (http://HOST:PORT). */
export function warrenctl(url: string, ...args: string[]): Promise<CtlResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_ROOT, 'bin/warrenctl'), '--url', url, ...args],
      { encoding: 'utf8' },
      (e, out, err) => resolve({ code: e ? Number((e as { code?: number }).code ?? 1) : 0, out, err }),
    );
  });
}
