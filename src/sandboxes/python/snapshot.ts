/**
 * The memory snapshot of a freshly booted CPython, made once by the first Python REPL process of
 * this program and handed to every later one: they boot in about a tenth of the time. It holds
 * only the pristine interpreter (made before any context or code), so sharing it shares nothing
 * of any run. Kept in memory only; written into each new REPL's private folder before its start.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SNAPSHOT_FILE = 'python.snapshot';

let snapshot: Uint8Array | undefined;

export function rememberSnapshot(bytes: Uint8Array): void {
  snapshot ??= bytes;
}

/** Puts the snapshot, if there is one yet, where a REPL process about to start will find it. */
export function placeSnapshot(dir: string): void {
  if (snapshot) writeFileSync(join(dir, SNAPSHOT_FILE), snapshot, { mode: 0o600 });
}

/** The REPL process has booted: its copy of the snapshot is no longer needed on disk. */
export function removeSnapshot(dir: string): void {
  rmSync(join(dir, SNAPSHOT_FILE), { force: true });
}
