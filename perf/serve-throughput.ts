/**
 * 11. `rlm serve` under load, as a benchmark of `npm run perf` (id `serve`): perf/serve-load.ts in a
 * process of its own for each cap on runs at once (2, 8, 16): 50 requests sent at once, each a
 * 2-turn run with one batch of 4 sub-calls, every model call answered after 100 ms. Reports the
 * wall time, requests per second, the server's peak RSS and its REPL processes' (count and sum).
 */
import { infoRow, type BenchResult, type Row } from './lib.ts';
import { runChild } from './run-child.ts';

const CAPS = [2, 8, 16];
const REQUESTS = 50;

interface LoadReport {
  maxRuns: number;
  wallS: number;
  perSecond: number;
  idealS: number;
  serverCpuS: number;
  replsCpuS: number;
  replProcesses: number;
  machineBusy: number;
  idleMiB: { server: number };
  peak: { serverMiB: number; repls: number; replsMiB: number; totalMiB: number };
  afterMiB: { server: number; repls: number };
}

export async function serveThroughput(): Promise<BenchResult> {
  const reports: LoadReport[] = [];
  for (const cap of CAPS)
    reports.push(
      await runChild<LoadReport>(
        './serve-load.ts',
        ['--max-runs', String(cap), '--requests', String(REQUESTS)],
        ['--conditions=rlm-source'],
      ),
    );
  const benchmark = 'serve';
  const rows: Row[] = reports.flatMap((r) => [
    infoRow({
      benchmark,
      metric: `--max-runs ${r.maxRuns}: ${REQUESTS} requests at once, wall time (ideal ${r.idealS} s)`,
      value: r.wallS,
      unit: 's',
    }),
    infoRow({ benchmark, metric: `--max-runs ${r.maxRuns}: requests per second`, value: r.perSecond, unit: 'count' }),
    infoRow({ benchmark, metric: `--max-runs ${r.maxRuns}: peak RSS, server`, value: r.peak.serverMiB, unit: 'MiB' }),
    infoRow({
      benchmark,
      metric: `--max-runs ${r.maxRuns}: peak RSS, its ${r.peak.repls} REPL processes`,
      value: r.peak.replsMiB,
      unit: 'MiB',
    }),
    infoRow({
      benchmark,
      metric: `--max-runs ${r.maxRuns}: CPU per run, REPL process (at least)`,
      value: (r.replsCpuS / r.replProcesses) * 1000,
      unit: 'ms',
    }),
  ]);
  return { id: 'serve', title: `rlm serve: ${REQUESTS} concurrent requests at --max-runs ${CAPS.join(', ')}`, rows, details: { reports } };
}
