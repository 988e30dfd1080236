/**
 * One `rlm bench run` at a time in an output folder: two would both run what is missing, append
 * the same runs twice and pay for both. The lock names its process, so one left by a bench that
 * was killed is seen to be stale and taken over.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { usageError } from 'rlm/cli-kit';

const LOCK_FILE = '.rlm-bench.lock';

/** Takes the folder's lock, or refuses in one line; returns what releases it. */
export function lockOutput(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw usageError(`cannot use ${dir} for results: ${code ?? (error as Error).message}`);
    }
    const holder = holderOf(path);
    if (holder !== undefined && alive(holder))
      throw usageError(`${dir} is in use by another rlm bench (process ${holder}): wait for it to end, or give another --out`);
    // Left by a bench that was killed: taken over.
    rmSync(path, { force: true });
  }
  throw usageError(`cannot lock ${dir} for results: other benches keep taking it`);
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
