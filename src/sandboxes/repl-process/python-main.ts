/**
 * Entry point of the Python REPL process. CPython boots in a worker as soon as the process
 * starts, before any context exists, so a process kept warm is ready the moment a run needs one.
 *
 * It boots from the memory snapshot the run's process left in its folder (argv[2]), or from the
 * snapshot file in the cache that the folder points to, when there is one and it is intact;
 * otherwise it boots from scratch, makes that snapshot, and sends it to the run's process for
 * the REPL processes after it (and for the cache). The snapshot is kept for rebuilding a worker
 * that had to go.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sendToHost, serveRepl } from './repl-server.ts';
import { bootWorker, PyodideRepl } from './pyodide-repl.ts';
import { readSnapshotFile, SNAPSHOT_FILE, SNAPSHOT_POINTER, type SnapshotPlace } from '../shared/snapshot-file.ts';

const dir = process.argv[2];
const given = dir ? givenSnapshot(dir) : undefined;
const warm = bootWorker(given ? { snapshot: given } : { makeSnapshot: true });
warm.then(
  (booted) => sendToHost({ type: 'warm', bootMs: booted.bootMs, ...(booted.snapshot ? { snapshot: booted.snapshot } : {}) }),
  // A failed boot is reported when the context arrives, through create().
  () => undefined,
);
// A snapshot the worker could not boot from was replaced by the one it made booting from scratch.
serveRepl(async (options) => PyodideRepl.create(options, warm, (await warm).snapshot ?? given));

function givenSnapshot(folder: string): Uint8Array | undefined {
  const copy = join(folder, SNAPSHOT_FILE);
  if (existsSync(copy)) return new Uint8Array(readFileSync(copy));
  const pointer = join(folder, SNAPSHOT_POINTER);
  if (!existsSync(pointer)) return undefined;
  const place = JSON.parse(readFileSync(pointer, 'utf8')) as SnapshotPlace;
  return readSnapshotFile(place.path, place.key);
}
