/**
 * The first PythonSandbox of a program, with no spare started before: its REPL process boots
 * CPython from the snapshot in the cache (XDG_CACHE_HOME) if there is one, else from scratch,
 * making the snapshot and writing it there. Only a fresh process can measure it. Reports JSON on
 * stdout.
 *
 *   node perf/python-start-child.ts
 */
import { PythonSandbox } from '../src/index.ts';
import { idleBridge } from './lib.ts';

export interface PythonStartReport {
  /** `PythonSandbox.create` with an empty context, the first of the program. */
  firstCreateMs: number;
  /** The first cell after it, `1 + 1`. */
  firstCellMs: number;
}

async function main(): Promise<void> {
  let started = performance.now();
  const sandbox = await PythonSandbox.create({ context: '', bridge: idleBridge });
  const firstCreateMs = performance.now() - started;
  started = performance.now();
  const cell = await sandbox.run('1 + 1');
  const firstCellMs = performance.now() - started;
  sandbox.dispose();
  PythonSandbox.coolDown();
  if (cell.output.trim() !== '2') throw new Error(`the first cell gave ${JSON.stringify(cell)}`);
  const report: PythonStartReport = { firstCreateMs, firstCellMs };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
