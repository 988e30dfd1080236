/**
 * The memory snapshot of a freshly booted CPython, which Python REPL processes boot from in a
 * fraction of the time a boot from scratch takes. It holds the interpreter with runtime.py loaded
 * and seal.py's built-in imports done, made before any context or code and before the seal, so
 * sharing it shares nothing of any run; every REPL booted from it is sealed when its context
 * arrives, exactly as one booted from scratch.
 *
 * It lasts across programs in the user's cache (`$XDG_CACHE_HOME/rlm/python/`, else
 * `~/.cache/rlm/python/`), in a file named after, and checked against, a key: the Pyodide version
 * and a hash of the code that boots the interpreter. A REPL process may read that one file; the
 * run's process writes it, once a REPL process booted from scratch and sent it the snapshot. Where
 * the cache cannot be used, a program keeps the snapshot it made in memory and writes it into each
 * new REPL's private folder before its start.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCacheDir } from '../../cache-dir.ts';
import { SNAPSHOT_FILE, SNAPSHOT_POINTER, writeSnapshotFile, type SnapshotPlace } from '../shared/snapshot-file.ts';

export type { SnapshotPlace } from '../shared/snapshot-file.ts';

/** How a REPL process about to start will boot. */
export type SnapshotSource = { from: 'memory' } | { from: 'file'; place: SnapshotPlace } | { from: 'scratch'; place?: SnapshotPlace };

let snapshot: Uint8Array | undefined;
let scratchBoots = 0;
let key: string | undefined;
/** The write of the cache file under way, if any: one per program is enough. */
let writing: Promise<boolean> | undefined;

/**
 * The cache file for this Pyodide and this boot code, from the environment as it is now. The key
 * covers what shapes the snapshot: Pyodide's version, the worker that boots it (its options to
 * loadPyodide, what it runs before the snapshot), and runtime.py and seal.py, which are in it.
 */
export function snapshotPlace(env: NodeJS.ProcessEnv = process.env): SnapshotPlace {
  key ??= snapshotKey();
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const version = /pyodide ([^;\s]+)/.exec(key)?.[1] ?? 'unknown';
  return { path: join(defaultCacheDir(env), 'python', `pyodide-${version}-${hash}.snapshot`), key };
}

function snapshotKey(): string {
  const pyodide = JSON.parse(readFileSync(new URL(import.meta.resolve('pyodide/package.json')), 'utf8')) as { version: string };
  const worker = `pyodide-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`;
  const code = createHash('sha256');
  for (const name of [worker, 'runtime.py', 'seal.py']) code.update(readFileSync(new URL(`../in-pyodide/${name}`, import.meta.url)));
  return `rlm python snapshot; pyodide ${pyodide.version}; boot code ${code.digest('hex')}`;
}

/**
 * Where the next REPL process boots from: the cache file if one is there that only this user
 * could have written (the REPL process reads it; nothing to write here), else this program's
 * snapshot in memory (written into the REPL's folder), else from scratch (and then the snapshot
 * it makes goes to the cache file, if the cache folder is this user's alone).
 */
export function snapshotSource(): SnapshotSource {
  let place: SnapshotPlace | undefined;
  try {
    place = snapshotPlace();
    if (ownedByMe(join(place.path, '..')) === 'other') place = undefined;
  } catch {
    place = undefined;
  }
  if (place && ownedByMe(place.path) === 'mine') return { from: 'file', place };
  if (snapshot) return { from: 'memory' };
  return place ? { from: 'scratch', place } : { from: 'scratch' };
}

/**
 * The cache file's snapshot boots an interpreter that then runs model code: it is trusted only
 * if nobody else could have written it (owned by this user, not writable by group or others).
 */
function ownedByMe(path: string): 'mine' | 'absent' | 'other' {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return 'absent';
  }
  const uid = process.getuid?.();
  if (stat.isSymbolicLink() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0) return 'other';
  return 'mine';
}

/** Prepares a REPL's private folder: the snapshot from memory, or where the cache file is. */
export function placeSnapshot(dir: string, source: SnapshotSource): void {
  if (source.from === 'memory' && snapshot) writeFileSync(join(dir, SNAPSHOT_FILE), snapshot, { mode: 0o600 });
  if (source.from === 'file') writeFileSync(join(dir, SNAPSHOT_POINTER), JSON.stringify(source.place), { mode: 0o600 });
}

/**
 * A REPL process booted from scratch and made the snapshot: keep it for this program's later
 * REPLs, and write it to the cache file for later programs (in the background; a failure only
 * means they boot from scratch too).
 */
export function rememberSnapshot(bytes: Uint8Array, source: SnapshotSource): void {
  scratchBoots++;
  snapshot ??= bytes;
  const place = source.from === 'scratch' || source.from === 'file' ? source.place : undefined;
  if (place && !writing) writing = writeSnapshotFile(place.path, place.key, bytes);
}

/** The REPL process has booted: its copy of the snapshot, or the pointer to it, is no longer needed. */
export function removeSnapshot(dir: string): void {
  rmSync(join(dir, SNAPSHOT_FILE), { force: true });
  rmSync(join(dir, SNAPSHOT_POINTER), { force: true });
}

/** For tests and benchmarks: how many REPL processes of this program booted from scratch, and the cache write. */
export function snapshotStats(): { scratchBoots: number; written: Promise<boolean> | undefined } {
  return { scratchBoots, written: writing };
}
