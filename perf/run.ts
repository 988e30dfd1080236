/**
 * rlm's performance measurements: `npm run perf` (Node 24, with --expose-gc).
 *
 *   npm run perf                          all of them
 *   npm run perf -- --only=cell,fan-out   some of them (cell-overhead, context-load, fan-out, scripted-run, viewer, python, tasks, serve, queue; a prefix is enough)
 *   npm run perf -- --strict              exit with status 1 when a floor or check fails
 *
 * These are measurements, not tests: they print a table and write perf/results/latest.json.
 * See BENCHMARKS.md for what each one measures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cellOverhead } from './cell-overhead.ts';
import { contextLoad } from './context-load.ts';
import { fanOut } from './fan-out.ts';
import { collect, fmt, type BenchResult, type Row } from './lib.ts';
import { describeMachine } from './machine.ts';
import { pythonRepl } from './python-repl.ts';
import { queueThroughput } from './queue-throughput.ts';
import { scriptedRun } from './scripted-run.ts';
// rlm-bench's task generators, measured with the rest from the checkout.
import { taskGeneration } from '../packages/bench/perf/tasks.ts';
import { serveThroughput } from './serve-throughput.ts';
import { viewer } from './viewer.ts';

const BENCHMARKS: Array<{ id: string; run: () => Promise<BenchResult> }> = [
  { id: 'cell-overhead', run: cellOverhead },
  { id: 'context-load', run: contextLoad },
  { id: 'fan-out', run: fanOut },
  { id: 'scripted-run', run: scriptedRun },
  { id: 'viewer', run: viewer },
  { id: 'python', run: pythonRepl },
  { id: 'tasks', run: taskGeneration },
  { id: 'serve', run: serveThroughput },
  { id: 'queue', run: queueThroughput },
];

function parseArgs(argv: string[]): { only: string[] | undefined; strict: boolean } {
  let only: string[] | undefined;
  let strict = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--strict') strict = true;
    else if (arg.startsWith('--only=')) only = arg.slice('--only='.length).split(',');
    else if (arg === '--only') only = (argv[++i] ?? '').split(',');
    else throw new Error(`unknown argument ${arg} (use --only=<ids> or --strict)`);
  }
  return { only, strict };
}

function table(rows: Row[]): string {
  const cells = rows.map((r) => [
    r.benchmark,
    r.metric,
    fmt(r.value, r.unit),
    r.limitText ?? '-',
    r.pass === undefined ? '' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const header = ['benchmark', 'metric', 'figure', 'floor', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]) =>
    c
      .map((v, i) => (i === 2 ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { only, strict } = parseArgs(process.argv.slice(2));
  const chosen = only ? BENCHMARKS.filter((b) => only.some((o) => o !== '' && b.id.startsWith(o))) : BENCHMARKS;
  if (chosen.length === 0)
    throw new Error(`no benchmark matches --only=${only?.join(',')}; ids: ${BENCHMARKS.map((b) => b.id).join(', ')}`);
  if (!(globalThis as { gc?: unknown }).gc) console.error('note: run with --expose-gc (npm run perf does) for steadier figures');

  const machine = describeMachine();
  console.log(
    `rlm benchmarks on ${machine.cpuModel}, ${machine.availableParallelism} cores, ${(machine.memoryMiB / 1024).toFixed(1)} GiB, Node ${machine.node} (load average ${machine.loadAverage1m})\n`,
  );

  const started = new Date();
  const results: BenchResult[] = [];
  for (const bench of chosen) {
    process.stdout.write(`running ${bench.id}... `);
    const t0 = performance.now();
    collect();
    results.push(await bench.run());
    console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  const rows = results.flatMap((r) => r.rows);
  console.log(`\n${table(rows)}\n`);
  const judged = rows.filter((r) => r.pass !== undefined);
  const failed = judged.filter((r) => r.pass === false);
  console.log(
    failed.length === 0 ? `All ${judged.length} floors and checks pass.` : `${failed.length} of ${judged.length} floors and checks FAIL.`,
  );

  const out = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(out, { recursive: true });
  const file = `${out}latest.json`;
  writeFileSync(file, `${JSON.stringify({ startedAt: started.toISOString(), machine, results }, null, 2)}\n`);
  console.log(`Results written to ${file}`);
  if (strict && failed.length > 0) process.exitCode = 1;
}

await main();
