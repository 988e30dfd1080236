/**
 * 12. Runs over a Redis queue, as a benchmark of `npm run perf` (id `queue`): perf/queue-load.ts
 * in a process of its own for 1, 2 and 3 `rlm worker --redis --concurrency 4 --max-requests 4`
 * processes behind one `rlm serve --redis`, each twice, in the order 1 2 3 1 2 3 so that a change
 * in the machine's load over the minutes falls on every count alike. Each time: 48 runs submitted
 * at once through `POST /v1/runs`, each 2 root turns around one `llm_query_batched` of 4 prompts
 * (6 model requests), every model call answered after 100 ms; then all again at 400 ms. Reports
 * per worker count the wall time (median, and each figure), runs and model requests per second,
 * the speed-up over 1 worker, peak RSS, and the CPU all the processes used, since on a small
 * machine the CPU is what limits it, and the CPU other processes used meanwhile.
 *
 *   node --conditions=rlm-source perf/queue-throughput.ts    # alone: prints the rows
 *
 * Needs Debian's `redis-server`; without it the benchmark reports that and nothing else.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { checkRow, fmt, infoRow, median, round, type BenchResult, type Row } from './lib.ts';
import { runChild } from './run-child.ts';

const WORKER_COUNTS = [1, 2, 3];
const REPEATS = 2;
const RUNS = 48;
/**
 * Model latencies: at 100 ms a worker's cap allows 40 requests/s, about what the 2 cores of a
 * small machine can feed with REPL processes, so the CPU limits it from 1 worker on; at 400 ms
 * a worker allows 10 requests/s, and workers are added before the CPU is the limit.
 */
const LATENCIES_MS = [100, 400];
const CONCURRENCY = 4;
const MAX_REQUESTS = 4;

/** Busy and total ticks of the whole machine, from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/**
 * Waits (up to `timeoutMs`) for a second in which the machine is at most a quarter busy: the
 * wall times here depend on every core being free for these processes, and on a shared machine
 * another job's burst can double them. Returns how long it waited, and whether it got its second.
 */
async function quietMachine(timeoutMs = 60_000): Promise<{ waitedS: number; quiet: boolean }> {
  const started = performance.now();
  for (;;) {
    const t0 = machineTicks();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const t1 = machineTicks();
    const quiet = (t1.busy - t0.busy) / Math.max(1, t1.total - t0.total) <= 0.25;
    const waitedS = round((performance.now() - started) / 1000, 1);
    if (quiet || performance.now() - started > timeoutMs) return { waitedS, quiet };
  }
}

interface QueueReport {
  workers: number;
  latencyMs: number;
  runs: number;
  warmed: number;
  wrong: string[];
  miscounted: string[];
  wallS: number;
  runsPerS: number;
  modelRequests: number;
  modelRequestsPerS: number;
  modelMaxInFlight: number;
  modelBoundS: number;
  runsPerWorker: number[];
  cpuS: {
    server: number;
    workers: number;
    repls: number;
    replProcesses: number;
    redis: number;
    driver: number;
    ours: number;
    machine: number;
    others: number;
  };
  machineBusy: number;
  peakMiB: { server: number; workers: number; repls: number; replCount: number; redis: number };
  /** How long the machine took to be quiet before this measurement, and whether it was. */
  before?: { waitedS: number; quiet: boolean };
}

export async function queueThroughput(): Promise<BenchResult> {
  const benchmark = 'queue';
  const title = `runs over a Redis queue: ${RUNS} runs at once, 1-3 workers (--concurrency ${CONCURRENCY} --max-requests ${MAX_REQUESTS}), model latency ${LATENCIES_MS.join(' and ')} ms`;
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0)
    return { id: 'queue', title: `${title}: not measured, no redis-server (apt-get install -y redis-server)`, rows: [], details: {} };

  const reports: QueueReport[] = [];
  for (const latencyMs of LATENCIES_MS)
    for (let repeat = 0; repeat < REPEATS; repeat++)
      for (const workers of WORKER_COUNTS) {
        const before = await quietMachine();
        const report = await runChild<QueueReport>(
          './queue-load.ts',
          [
            ...['--workers', String(workers), '--runs', String(RUNS), '--latency', String(latencyMs)],
            ...['--concurrency', String(CONCURRENCY), '--max-requests', String(MAX_REQUESTS)],
          ],
          ['--conditions=rlm-source'],
        );
        reports.push({ ...report, before });
      }

  const cores = availableParallelism();
  const rows: Row[] = [];
  for (const latencyMs of LATENCIES_MS) {
    const of = (workers: number) => reports.filter((r) => r.latencyMs === latencyMs && r.workers === workers);
    const baseWall = median(of(1).map((r) => r.wallS));
    const full = latencyMs === LATENCIES_MS[0];
    for (const workers of WORKER_COUNTS) {
      const mine = of(workers);
      const walls = mine.map((r) => r.wallS);
      const wall = median(walls);
      const at = `${latencyMs} ms, ${workers} worker${workers === 1 ? '' : 's'}`;
      const bad = mine.flatMap((r) => [...r.wrong, ...r.miscounted.map((run) => `${run}: not 6 model requests`)]);
      const others = median(mine.map((r) => r.cpuS.others));
      rows.push(
        checkRow(
          {
            benchmark,
            metric: `${at}: runs answered right, each with its 6 model requests`,
            value: mine.length * RUNS - bad.length,
            unit: 'count',
          },
          bad.length === 0,
          `= ${mine.length * RUNS}`,
        ),
        infoRow({
          benchmark,
          metric: `${at}: wall time for ${RUNS} runs (median of ${walls.map((w) => w.toFixed(2)).join(', ')} s; model-bound ${mine[0]!.modelBoundS} s)`,
          value: wall,
          unit: 's',
        }),
        infoRow({ benchmark, metric: `${at}: runs per second`, value: round(RUNS / wall, 2), unit: 'count' }),
        infoRow({
          benchmark,
          metric: `${at}: model requests per second`,
          value: round(median(mine.map((r) => r.modelRequestsPerS)), 1),
          unit: 'count',
        }),
        infoRow({ benchmark, metric: `${at}: speed-up over 1 worker`, value: round(baseWall / wall, 2), unit: 'x' }),
      );
      if (full)
        rows.push(
          infoRow({ benchmark, metric: `${at}: peak RSS, workers (sum)`, value: median(mine.map((r) => r.peakMiB.workers)), unit: 'MiB' }),
          infoRow({
            benchmark,
            metric: `${at}: peak RSS, the workers' REPL processes (sum)`,
            value: median(mine.map((r) => r.peakMiB.repls)),
            unit: 'MiB',
          }),
          infoRow({ benchmark, metric: `${at}: peak RSS, server`, value: median(mine.map((r) => r.peakMiB.server)), unit: 'MiB' }),
          infoRow({
            benchmark,
            metric: `${at}: CPU per run, all processes (REPL processes ${Math.round(median(mine.map((r) => (r.cpuS.repls / r.runs) * 1000)))} ms)`,
            value: median(mine.map((r) => (r.cpuS.ours / r.runs) * 1000)),
            unit: 'ms',
          }),
        );
      rows.push(
        infoRow({
          benchmark,
          metric: `${at}: CPU-bound wall time (all its processes' CPU over ${cores} cores)`,
          value: round(median(mine.map((r) => r.cpuS.ours / cores)), 3),
          unit: 's',
        }),
        infoRow({
          benchmark,
          metric: `${at}: machine busy, % of ${cores} cores (other processes' CPU ${others.toFixed(1)} s; ${mine.filter((r) => r.before?.quiet).length} of ${mine.length} began on a quiet machine)`,
          value: round(median(mine.map((r) => r.machineBusy)) * 100),
          unit: 'count',
        }),
      );
    }
  }
  return {
    id: 'queue',
    title,
    rows,
    details: { runs: RUNS, latenciesMs: LATENCIES_MS, concurrency: CONCURRENCY, maxRequests: MAX_REQUESTS, reports },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await queueThroughput();
  console.log(result.title);
  for (const row of result.rows)
    console.log(`${row.metric}: ${fmt(row.value, row.unit)}${row.pass === undefined ? '' : row.pass ? ' PASS' : ' FAIL'}`);
}
