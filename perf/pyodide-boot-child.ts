/**
 * Boots CPython (Pyodide, from the npm package) in a plain Node process, with no sandbox around
 * it, and reports as JSON on stdout how long that took and the memory it holds: the floor under
 * a Python REPL process's own boot, which does the same in a worker thread.
 *
 *   node perf/pyodide-boot-child.ts                        from scratch
 *   node perf/pyodide-boot-child.ts --make-snapshot=<file>  from scratch, then write a memory snapshot
 *   node perf/pyodide-boot-child.ts --snapshot=<file>       from that snapshot
 *
 * The REPL does the same: its first process boots from scratch and makes the snapshot, the later
 * ones boot from it (src/sandboxes/host/python-snapshot.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { MiB } from './lib.ts';

export interface PyodideBootReport {
  from: 'scratch' | 'snapshot';
  /** `import('pyodide')`: the package's JavaScript. */
  importMs: number;
  /** `loadPyodide()`: compile the WASM module, start CPython (or restore its memory), load its standard library. */
  bootMs: number;
  /** `makeMemorySnapshot()`, when asked to make one. */
  snapshotMs?: number;
  snapshotBytes?: number;
  /** A first `runPython` importing what the REPL's runtime imports. */
  firstImportsMs: number;
  rssMiB: number;
}

function option(name: string): string | undefined {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg?.slice(name.length + 3);
}

async function main(): Promise<void> {
  const makeSnapshot = option('make-snapshot');
  const snapshotFile = option('snapshot');
  const snapshot = snapshotFile ? new Uint8Array(readFileSync(snapshotFile)) : undefined;
  let started = performance.now();
  const { loadPyodide } = await import('pyodide');
  const importMs = performance.now() - started;
  started = performance.now();
  const pyodide = await loadPyodide({
    stdout: () => undefined,
    stderr: () => undefined,
    ...(snapshot ? { _loadSnapshot: snapshot } : {}),
    ...(makeSnapshot ? { _makeSnapshot: true } : {}),
  });
  const bootMs = performance.now() - started;
  const report: PyodideBootReport = { from: snapshot ? 'snapshot' : 'scratch', importMs, bootMs, firstImportsMs: 0, rssMiB: 0 };
  if (makeSnapshot) {
    started = performance.now();
    const bytes = pyodide.makeMemorySnapshot();
    report.snapshotMs = performance.now() - started;
    report.snapshotBytes = bytes.byteLength;
    writeFileSync(makeSnapshot, bytes);
  }
  started = performance.now();
  pyodide.runPython('import ast, builtins, gc, json, os, sys, types');
  report.firstImportsMs = performance.now() - started;
  report.rssMiB = process.memoryUsage().rss / MiB;
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
