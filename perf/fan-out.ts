/**
 * 3. Fan-out: one cell starts 256 `llm_query` calls with `Promise.all`; every sub-call takes
 * 100 ms at the scripted server; the run's concurrency is 16. With no overhead the cell takes
 * 256 / 16 = 16 rounds of 100 ms = 1.6 s. Measured through `new RLM(...).run`, over real HTTP.
 */
import { JsSandbox } from '../src/index.ts';
import { startScriptedServer, type ScriptedRequest } from '../src/testing/index.ts';
import { checkRow, collect, floorRow, idleBridge, infoRow, median, round, unionLength, type BenchResult } from './lib.ts';
import { recordRun, repl, serverIntervals, turnOf } from './recording.ts';

const CALLS = 256;
const CONCURRENCY = 16;
const SUB_LATENCY_MS = 100;
const IDEAL_MS = Math.ceil(CALLS / CONCURRENCY) * SUB_LATENCY_MS;
const RUNS = 3;

const ROOT_CODE = repl(`
const answers = await Promise.all(Array.from({ length: ${CALLS} }, (_, i) => llm_query(\`item \${i}: answer with the item's number\`)));
FINAL(\`\${answers.length} answers, \${new Set(answers).size} distinct\`);
`);
const EXPECTED = `${CALLS} answers, ${CALLS} distinct`;

interface FanOutRun {
  cellMs: number;
  ratio: number;
  maxInFlight: number;
  subRequests: number;
  /** First sub-request arriving at the server to the last one answered. */
  serverSpanMs: number;
  /** Cell time not covered by any sub-request at the server. */
  cellGapsMs: number;
  /** Median time a sub-request spent at the server (the scripted 100 ms and the server's own work). */
  serverHoldMedianMs: number;
  /**
   * Median time from the server finishing one answer to the next queued request arriving in the
   * slot it freed: the client's share of each round (reading the answer, the limiter handing on
   * the slot, building and sending the next request).
   */
  slotTurnoverMedianMs: number;
  /** CPU time (user + system, all threads) of this process during the run, per sub-call. */
  cpuMsPerCall: number;
  runMs: number;
}

async function once(): Promise<FanOutRun> {
  const server = await startScriptedServer({
    script: (request: ScriptedRequest) => {
      if (request.model === 'root') return turnOf(request.messages) === 0 ? ROOT_CODE : 'FINAL(unexpected second turn)';
      return { content: `ok ${request.lastUser.split(':')[0]}`, delayMs: SUB_LATENCY_MS };
    },
  });
  try {
    const cpu = process.cpuUsage();
    const run = await recordRun(server, { concurrency: CONCURRENCY }, { context: 'a small context', query: 'count the answers' });
    const cpuUsed = process.cpuUsage(cpu);
    if (run.result.answer !== EXPECTED)
      throw new Error(`fan-out run answered ${JSON.stringify(run.result.answer)} (${run.result.status}), expected ${EXPECTED}`);
    const cell = run.events.find((e) => e.event.type === 'cell-end')?.event;
    if (cell?.type !== 'cell-end') throw new Error('no cell-end event');
    const subs = serverIntervals(server.requests, 'sub');
    const spanMs = Math.max(...subs.map(([, e]) => e)) - Math.min(...subs.map(([s]) => s));
    // The limiter hands slots on first come, first served: the (16 + i)-th request to arrive took
    // the slot of the i-th answer to finish.
    const arrivals = subs.map(([s]) => s).sort((a, b) => a - b);
    const answers = subs.map(([, e]) => e).sort((a, b) => a - b);
    const turnovers = arrivals.slice(CONCURRENCY).map((a, i) => a - (answers[i] ?? a));
    return {
      cellMs: cell.durationMs,
      ratio: cell.durationMs / IDEAL_MS,
      maxInFlight: server.maxInFlight,
      subRequests: subs.length,
      serverSpanMs: spanMs,
      cellGapsMs: cell.durationMs - unionLength(subs),
      serverHoldMedianMs: median(subs.map(([s, e]) => e - s)),
      slotTurnoverMedianMs: median(turnovers),
      cpuMsPerCall: (cpuUsed.user + cpuUsed.system) / 1000 / subs.length,
      runMs: run.result.durationMs,
    };
  } finally {
    await server.close();
  }
}

/**
 * The sandbox's share of a sub-call, without HTTP: 1,000 concurrent `llm_query` calls from one
 * cell against a bridge that answers at once (the call leaves the isolate as JSON, the answer
 * comes back through one `deliver` into the isolate per call).
 */
async function bridgeRoundTrip(): Promise<{ perCallUs: number; cellMs: number }> {
  const calls = 1000;
  const sandbox = await JsSandbox.create({
    context: '',
    bridge: { ...idleBridge, llm_query: (prompt: string) => Promise.resolve(prompt) },
  });
  try {
    const code = `const rs = await Promise.all(Array.from({ length: ${calls} }, (_, i) => llm_query('p' + i))); rs.length`;
    await sandbox.run(code);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const cell = await sandbox.run(code);
      if (cell.output.trim() !== String(calls)) throw new Error(`bridge cell gave ${JSON.stringify(cell)}`);
      times.push(cell.durationMs);
    }
    const cellMs = median(times);
    return { perCallUs: (cellMs / calls) * 1000, cellMs };
  } finally {
    sandbox.dispose();
  }
}

export async function fanOut(): Promise<BenchResult> {
  const bridge = await bridgeRoundTrip();
  await once(); // warm-up: JIT, the HTTP client, sockets
  const runs: FanOutRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    collect();
    runs.push(await once());
  }
  const cellMs = median(runs.map((r) => r.cellMs));
  const maxInFlight = Math.max(...runs.map((r) => r.maxInFlight));
  const b = '3. fan-out 256 x 100 ms';
  return {
    id: 'fan-out',
    title: `Fan-out: ${CALLS} llm_query calls from one cell, concurrency ${CONCURRENCY}`,
    rows: [
      infoRow({ benchmark: b, metric: `cell wall time (median of ${RUNS}); ideal ${IDEAL_MS / 1000} s`, value: cellMs / 1000, unit: 's' }),
      floorRow({ benchmark: b, metric: 'cell wall time / ideal', value: cellMs / IDEAL_MS, unit: 'x', limit: 1.2 }),
      checkRow(
        { benchmark: b, metric: 'server maxInFlight', value: maxInFlight, unit: 'count' },
        maxInFlight === CONCURRENCY,
        `= ${CONCURRENCY}`,
      ),
      infoRow({
        benchmark: b,
        metric: 'slot turnover: answer sent -> next request in (median)',
        value: median(runs.map((r) => r.slotTurnoverMedianMs)),
        unit: 'ms',
      }),
      infoRow({
        benchmark: b,
        metric: 'sandbox bridge alone: 1,000 concurrent instant calls, per call',
        value: bridge.perCallUs / 1000,
        unit: 'ms',
      }),
    ],
    details: {
      calls: CALLS,
      concurrency: CONCURRENCY,
      subLatencyMs: SUB_LATENCY_MS,
      idealMs: IDEAL_MS,
      bridgeRoundTrip: { calls: 1000, cellMedianMs: round(bridge.cellMs), perCallUs: round(bridge.perCallUs, 1) },
      runs: runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]))),
    },
  };
}
