/**
 * 1. What one REPL cell costs when the code itself costs nothing: `1 + 1` in a JsSandbox, timed
 * from the host around `sandbox.run` (parse and rewrite with acorn, compile in the isolate, run,
 * collect the output as JSON), 1,000 times after a warm-up.
 */
import { JsSandbox } from '../src/index.ts';
import { collect, floorRow, idleBridge, infoRow, mean, median, quantile, round, type BenchResult } from './lib.ts';

const WARMUP = 200;
const RUNS = 1000;

export async function cellOverhead(): Promise<BenchResult> {
  const sandbox = await JsSandbox.create({ context: 'a small context', bridge: idleBridge });
  try {
    for (let i = 0; i < WARMUP; i++) {
      const cell = await sandbox.run('1 + 1');
      if (cell.output.trim() !== '2' || cell.error) throw new Error(`warm-up cell gave ${JSON.stringify(cell)}`);
    }
    collect();
    const times: number[] = [];
    const own: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const cell = await sandbox.run('1 + 1');
      times.push(performance.now() - started);
      own.push(cell.durationMs);
    }
    const med = median(times);
    const p90 = quantile(times, 0.9);
    return {
      id: 'cell-overhead',
      title: 'Trivial cell (`1 + 1`) in JsSandbox',
      rows: [
        floorRow({ benchmark: '1. trivial cell', metric: `median of ${RUNS}`, value: med, unit: 'ms', limit: 1 }),
        infoRow({ benchmark: '1. trivial cell', metric: `p90 of ${RUNS}`, value: p90, unit: 'ms' }),
      ],
      details: {
        warmupRuns: WARMUP,
        runs: RUNS,
        medianMs: round(med, 4),
        p90Ms: round(p90, 4),
        p99Ms: round(quantile(times, 0.99), 4),
        minMs: round(Math.min(...times), 4),
        maxMs: round(Math.max(...times), 4),
        meanMs: round(mean(times), 4),
        /** The sandbox's own CellResult.durationMs, for comparison with the host-side timing. */
        cellDurationMedianMs: round(median(own), 4),
      },
    };
  } finally {
    sandbox.dispose();
  }
}
