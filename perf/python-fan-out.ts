/**
 * Part of 6: the Python fan-out (python-fan-out-scenario.ts), as a user runs it: whole `rlm ask`
 * processes against a scripted server. The root looks at the context, one cell asks 150
 * sub-calls with `llm_query_batched`, one cell ends with FINAL; sub-calls take 100 ms,
 * concurrency 16, so the batch takes 10 rounds, 1.0 s at best.
 *
 * - the whole `rlm ask --repl python` process, the program's first REPL included: with an empty
 *   cache (CPython boots from scratch and writes the boot snapshot) and with the snapshot in the
 *   cache (written by the run before); and `rlm ask --repl js` doing the same in JavaScript
 *   (`Promise.all` of `llm_query`).
 * - the batched cell of those runs (from their traces), its ratio to the ideal, and the slot
 *   turnover: from the server finishing an answer to the next request arriving in the slot it
 *   freed (the (16 + i)-th request to arrive took the slot of the i-th answer).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startScriptedServer, type ScriptedModelServer, type ScriptedRequest } from '../src/testing/index.ts';
import { infoRow, median, round, type BenchResult, type Row } from './lib.ts';
import { settleChildren } from './procs.ts';
import { CONCURRENCY, EXPECTED_ANSWER, IDEAL_FAN_OUT_MS, scenario, SUB_CALLS, SUB_LATENCY_MS } from './python-fan-out-scenario.ts';
import { repl, turnOf } from './recording.ts';

const RUNS = { scratch: 2, snapshot: 3, js: 3 };
const CONTEXT = 'a small context for the fan-out\n'.repeat(10);

const JS_TURNS = [
  repl('print(typeof context, context.length);'),
  repl(`
const answers = await Promise.all(Array.from({ length: ${SUB_CALLS} }, (_, i) => llm_query(\`item \${i}: answer with the item's number\`)));
print(answers.length, answers.slice(0, 3));
`),
  repl('FINAL(`${answers.length} answers, ${new Set(answers).size} distinct`);'),
];

/** The same fan-out in JavaScript; sub-calls are answered as in the Python scenario. */
function jsScenario(request: ScriptedRequest) {
  if (/^item \d+:/.test(request.lastUser) && request.messages.length <= 2) return scenario(request);
  return JS_TURNS[turnOf(request.messages)] ?? repl('FINAL("unexpected turn")');
}

interface AskRun {
  wallMs: number;
  /** The batched cell, from the run's trace. */
  cellMs: number;
  slotTurnoverMedianMs: number;
}

/** One `rlm ask` process against `server`. */
async function ask(server: ScriptedModelServer, language: 'python' | 'js', folder: string, cache: string): Promise<AskRun> {
  const contextFile = join(folder, 'context.txt');
  const traceFile = join(folder, 'trace.jsonl');
  writeFileSync(contextFile, CONTEXT);
  const bin = fileURLToPath(new URL('../bin/rlm.js', import.meta.url));
  const args = [
    bin,
    'ask',
    '--repl',
    language,
    '--base-url',
    server.url,
    '--model',
    'scripted',
    '--concurrency',
    String(CONCURRENCY),
    '--context',
    contextFile,
    '--trace',
    traceFile,
    'count the answers',
  ];
  const firstRequest = server.requests.length;
  await settleChildren();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, XDG_CACHE_HOME: cache, RLM_API_KEY: 'bench' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const wallMs = performance.now() - started;
  if (code !== 0 || stdout.trim() !== EXPECTED_ANSWER)
    throw new Error(`rlm ask --repl ${language} exited with ${code}: ${stdout.trim()} ${stderr.trim().split('\n').at(-1)}`);

  const events = readFileSync(traceFile, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => JSON.parse(line) as { type: string; iteration?: number; t: number });
  const at = (type: string) => events.find((e) => e.type === type && e.iteration === 2)?.t ?? Number.NaN;
  const subs = server.requests
    .slice(firstRequest)
    .filter((r) => r.respondedAt !== undefined && r.messages.length <= 2 && /^item \d+:/.test(r.messages.at(-1)?.content ?? ''));
  if (subs.length !== SUB_CALLS) throw new Error(`expected ${SUB_CALLS} sub-requests, saw ${subs.length}`);
  const arrivals = subs.map((r) => r.receivedAt).sort((a, b) => a - b);
  const answers = subs.map((r) => r.respondedAt as number).sort((a, b) => a - b);
  const turnovers = arrivals.slice(CONCURRENCY).map((a, i) => a - (answers[i] ?? a));
  return { wallMs, cellMs: at('cell-end') - at('cell-start'), slotTurnoverMedianMs: median(turnovers) };
}

export async function pythonFanOut(): Promise<BenchResult> {
  const rows: Row[] = [];
  const B = `6. python fan-out ${SUB_CALLS} x ${SUB_LATENCY_MS} ms`;
  const row = (metric: string, value: number, unit: Row['unit'] = 'ms') => rows.push(infoRow({ benchmark: B, metric, value, unit }));
  const folder = mkdtempSync(join(tmpdir(), 'rlm-bench-python-fan-out-'));
  const python = await startScriptedServer({ script: scenario });
  const js = await startScriptedServer({ script: jsScenario });
  try {
    const scratch: AskRun[] = [];
    for (let i = 0; i < RUNS.scratch; i++) scratch.push(await ask(python, 'python', folder, join(folder, `empty-cache-${i}`)));
    const cache = join(folder, 'cache');
    await ask(python, 'python', folder, cache); // writes the snapshot
    const fromSnapshot: AskRun[] = [];
    for (let i = 0; i < RUNS.snapshot; i++) fromSnapshot.push(await ask(python, 'python', folder, cache));
    await ask(js, 'js', folder, cache); // warm-up
    const javascript: AskRun[] = [];
    for (let i = 0; i < RUNS.js; i++) javascript.push(await ask(js, 'js', folder, cache));

    const wall = (runs: AskRun[]) => median(runs.map((r) => r.wallMs)) / 1000;
    row(`whole rlm ask --repl python, empty cache: CPython boots from scratch (median of ${RUNS.scratch})`, wall(scratch), 's');
    row(`whole rlm ask --repl python, boot snapshot in the cache (median of ${RUNS.snapshot})`, wall(fromSnapshot), 's');
    row(`whole rlm ask --repl js, the same fan-out (median of ${RUNS.js})`, wall(javascript), 's');
    for (const [name, runs] of [
      ['Python llm_query_batched', fromSnapshot],
      ['JS Promise.all of llm_query', javascript],
    ] as const) {
      const cellMs = median(runs.map((r) => r.cellMs));
      row(`batched cell: ${name} (median of ${runs.length}); ideal ${IDEAL_FAN_OUT_MS / 1000} s`, cellMs / 1000, 's');
      row(`  / ideal: ${name}`, cellMs / IDEAL_FAN_OUT_MS, 'x');
      row(`  slot turnover, answer sent -> next request in (median): ${name}`, median(runs.map((r) => r.slotTurnoverMedianMs)));
    }
    const rounded = (runs: AskRun[]) => runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v, 1)])));
    const details = {
      subCalls: SUB_CALLS,
      subLatencyMs: SUB_LATENCY_MS,
      concurrency: CONCURRENCY,
      idealMs: IDEAL_FAN_OUT_MS,
      pythonEmptyCache: rounded(scratch),
      pythonSnapshotInCache: rounded(fromSnapshot),
      javascript: rounded(javascript),
    };
    return {
      id: 'python-fan-out',
      title: `Python fan-out: whole rlm ask processes, ${SUB_CALLS} llm_query_batched sub-calls`,
      rows,
      details,
    };
  } finally {
    await python.close();
    await js.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
