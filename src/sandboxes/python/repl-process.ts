/**
 * Entry point of the Python REPL process. CPython boots in a worker as soon as the process
 * starts, before any context exists, so a process kept warm is ready the moment a run needs one.
 *
 * It boots from the memory snapshot the run's process left in its folder (argv[2]) when there is
 * one; otherwise it boots from scratch, makes that snapshot, and sends it to the run's process
 * for the REPL processes after it. The snapshot is kept for rebuilding a worker that had to go.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FromRepl } from '../ipc.ts';
import { serveRepl } from '../repl-server.ts';
import { bootWorker, PyodideRepl } from './pyodide-repl.ts';
import { SNAPSHOT_FILE } from './snapshot.ts';

const dir = process.argv[2];
const snapshotPath = dir ? join(dir, SNAPSHOT_FILE) : undefined;
const given = snapshotPath && existsSync(snapshotPath) ? new Uint8Array(readFileSync(snapshotPath)) : undefined;
const warm = bootWorker(given ? { snapshot: given } : { makeSnapshot: true });
const send = (message: FromRepl) => process.send?.(message);
warm.then(
  (booted) => send({ type: 'warm', bootMs: booted.bootMs, ...(booted.snapshot ? { snapshot: booted.snapshot } : {}) }),
  // A failed boot is reported when the context arrives, through create().
  () => undefined,
);
serveRepl(async (options) => PyodideRepl.create(options, warm, given ?? (await warm).snapshot));
