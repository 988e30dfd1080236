/**
 * The private folders REPL processes read their context from (runs in the host). A folder's name
 * carries its owner: the pid and start time of the run's process that made it. A run's process
 * removes its folders when it ends, but one killed (SIGKILL, an abort that exits at once) cannot,
 * so every new folder first sweeps the folders of owners that are gone: no context outlives its
 * run for longer than the next REPL start on the machine.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'rlm-repl-';
/** rlm-repl-<pid>-<start>-<random>; the start time guards against a reused pid. */
const OWNED = /^rlm-repl-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

/** A new folder (mode 0700) owned by this process, after sweeping those whose owner is gone. */
export function privateDir(): string {
  sweepDeadOwners();
  return mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-${startTime(process.pid) ?? 0}-`));
}

/** Removes the REPL folders in the temp folder whose owner process has ended. */
export function sweepDeadOwners(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const owned = OWNED.exec(name);
    if (!owned || isAlive(Number(owned[1]), Number(owned[2]))) continue;
    try {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    } catch {
      // Another user's, or being removed by another sweeper: not ours to worry about.
    }
  }
}

function isAlive(pid: number, start: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const now = startTime(pid);
  // Where start times cannot be read (0), a live pid is taken to be the owner.
  return start === 0 || now === undefined || now === start;
}

/** A process's start time in clock ticks since boot (Linux), or undefined. */
function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return undefined;
  }
}
