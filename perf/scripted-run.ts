/**
 * 4. A whole scripted run over a 10 MiB context, as a model would drive it: peek at the context,
 * search it with regular expressions, ask four sub-calls about 500,000-character slices at once
 * and one more to combine them, then FINAL. The root answers after 50 ms and sub-calls after
 * 100 ms. Reports the total, the time waiting on model requests (the union of the intervals
 * between model-call-start and model-call-end events, so overlapping sub-calls count once), and
 * the rest: the time rlm itself takes outside the model.
 */
import { startScriptedServer, type ScriptedRequest } from '../src/testing/index.ts';
import { clip, collect, infoRow, median, MiB, round, unionLength, type BenchResult } from './lib.ts';
import { callIntervals, cellIntervals, recordRun, repl, serverIntervals, turnOf, type RecordedRun } from './recording.ts';
import { makeText } from './text.ts';

const CONTEXT_MIB = 10;
const ROOT_LATENCY_MS = 50;
const SUB_LATENCY_MS = 100;
const RUNS = 3;
const SECRET = '48213-KESTREL';
const NEEDLE = `NOTE 2024-07-14 from facilities: the vault code for the Lisbon warehouse is ${SECRET}.`;

const TURNS = [
  repl(`
print(typeof context, context.length);
print(context.slice(0, 1500));
`),
  repl(`
const errorLines = context.match(/^.* ERROR .*$/gm) ?? [];
print('ERROR lines:', errorLines.length);
print(errorLines.slice(0, 5).join('\\n'));
const needle = /^.*vault code.*$/m.exec(context);
print(needle ? needle[0] : 'no match');
`),
  repl(`
const size = 500_000;
const from = Math.max(0, needle.index - 2 * size);
const slices = [0, 1, 2, 3].map((i) => context.slice(from + i * size, from + (i + 1) * size));
const notes = await Promise.all(slices.map((s, i) => llm_query(\`Part \${i + 1}: quote any line about the vault code, or say NONE.\\n\\n\${s}\`)));
const summary = await llm_query(\`Combine these notes into one answer:\\n\${notes.join('\\n')}\`);
print(summary);
`),
  repl(`
const code = /vault code .* is ([\\w-]+)/.exec(needle[0])[1];
FINAL(\`\${code} (\${errorLines.length} ERROR lines)\`);
`),
];

function subAnswer(request: ScriptedRequest): string {
  const prompt = request.lastUser;
  if (prompt.startsWith('Combine')) return `The vault code is ${SECRET}.`;
  const part = prompt.slice(0, prompt.indexOf(':'));
  return prompt.includes('vault code for') ? `${part}: "${NEEDLE}"` : `${part}: NONE`;
}

interface Breakdown {
  totalMs: number;
  modelWaitMs: number;
  outsideModelMs: number;
  /** Where the outside time went. */
  setupMs: number;
  cellsOutsideModelMs: number;
  otherMs: number;
  /** The same waiting time seen from the server (arrival to answer). */
  serverWaitMs: number;
  /** The sum of the scripted latencies along the run's critical path. */
  scriptedLatencyMs: number;
  modelCalls: number;
  cellMs: number[];
  wallAroundRunMs: number;
}

function breakdown(run: RecordedRun, serverWaitMs: number): Breakdown {
  const calls = callIntervals(run.events);
  const cells = cellIntervals(run.events);
  const runStart = run.events.find((e) => e.event.type === 'run-start')?.at ?? run.startedAt;
  const firstCall = calls.reduce((min, [s]) => Math.min(min, s), Number.POSITIVE_INFINITY);
  const totalMs = run.result.durationMs;
  const modelWaitMs = unionLength(calls);
  const outsideModelMs = totalMs - modelWaitMs;
  const setupMs = firstCall - runStart;
  const cellsOutsideModelMs = cells.reduce((sum, [s, e]) => sum + (e - s) - unionLength(clip(calls, s, e)), 0);
  return {
    totalMs,
    modelWaitMs,
    outsideModelMs,
    setupMs,
    cellsOutsideModelMs,
    otherMs: outsideModelMs - setupMs - cellsOutsideModelMs,
    serverWaitMs,
    scriptedLatencyMs: TURNS.length * ROOT_LATENCY_MS + 2 * SUB_LATENCY_MS,
    modelCalls: calls.length,
    cellMs: cells.map(([s, e]) => round(e - s, 1)),
    wallAroundRunMs: run.wallMs,
  };
}

export async function scriptedRun(): Promise<BenchResult> {
  const context = makeText(CONTEXT_MIB * MiB, { plant: [{ at: 0.63, line: NEEDLE }] });
  const errors = context.match(/^.* ERROR .*$/gm)?.length ?? 0;
  const expected = `${SECRET} (${errors} ERROR lines)`;

  const once = async (): Promise<Breakdown> => {
    const server = await startScriptedServer({
      script: (request) => {
        if (request.model !== 'root') return { content: subAnswer(request), delayMs: SUB_LATENCY_MS };
        return { content: TURNS[turnOf(request.messages)] ?? 'FINAL(ran out of script)', delayMs: ROOT_LATENCY_MS };
      },
    });
    try {
      const run = await recordRun(
        server,
        { concurrency: 16 },
        { context, query: 'What is the vault code, and how many ERROR lines are there?' },
      );
      if (run.result.answer !== expected)
        throw new Error(`scripted run answered ${JSON.stringify(run.result.answer)} (${run.result.status}), expected ${expected}`);
      return breakdown(run, unionLength(serverIntervals(server.requests)));
    } finally {
      await server.close();
    }
  };

  const runs: Breakdown[] = [];
  for (let i = 0; i < RUNS; i++) {
    collect();
    runs.push(await once());
  }
  const totals = runs.map((r) => r.totalMs);
  const mid = runs.find((r) => r.totalMs === median(totals)) ?? [...runs].sort((a, b) => a.totalMs - b.totalMs)[RUNS >> 1] ?? runs[0];
  if (!mid) throw new Error('no runs');
  const b = `4. scripted run, ${CONTEXT_MIB} MiB`;
  return {
    id: 'scripted-run',
    title: `A whole scripted run over a ${CONTEXT_MIB} MiB context`,
    rows: [
      infoRow({ benchmark: b, metric: `total wall time (median of ${RUNS})`, value: mid.totalMs, unit: 'ms' }),
      infoRow({
        benchmark: b,
        metric: `waiting on the model (${mid.modelCalls} calls, scripted ${mid.scriptedLatencyMs} ms)`,
        value: mid.modelWaitMs,
        unit: 'ms',
      }),
      infoRow({ benchmark: b, metric: '  the same, as the server saw it (arrival to answer)', value: mid.serverWaitMs, unit: 'ms' }),
      infoRow({ benchmark: b, metric: 'outside the model (total - waiting)', value: mid.outsideModelMs, unit: 'ms' }),
      infoRow({ benchmark: b, metric: '  setup (sandbox + context load, first prompt)', value: mid.setupMs, unit: 'ms' }),
      infoRow({ benchmark: b, metric: '  in cells, not waiting on sub-calls (model code)', value: mid.cellsOutsideModelMs, unit: 'ms' }),
      infoRow({ benchmark: b, metric: '  the rest (loop, parsing, messages)', value: mid.otherMs, unit: 'ms' }),
    ],
    details: {
      contextMiB: CONTEXT_MIB,
      rootLatencyMs: ROOT_LATENCY_MS,
      subLatencyMs: SUB_LATENCY_MS,
      median: roundAll(mid),
      runs: runs.map(roundAll),
    },
  };
}

function roundAll(b: Breakdown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, typeof v === 'number' ? round(v, 1) : v]));
}
