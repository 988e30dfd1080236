/** Shared pieces of the benchmarks: result rows, statistics, and small helpers. */

/**
 * One line of the results table. A `floor` row passes or fails against an agreed limit; a
 * `check` row verifies something the measurement depends on; an `info` row is reported only.
 */
export interface Row {
  benchmark: string;
  metric: string;
  value: number;
  unit: 'ms' | 's' | 'MiB' | 'x' | 'count';
  kind: 'floor' | 'check' | 'info';
  /** The limit, in the row's unit (floor and check rows). */
  limit?: number;
  /** How the limit reads in the table, e.g. "<= 1 ms". */
  limitText?: string;
  pass?: boolean;
}

export interface BenchResult {
  id: string;
  title: string;
  rows: Row[];
  /** Everything else measured, kept in the JSON for later comparison. */
  details: Record<string, unknown>;
}

export function floorRow(row: Omit<Row, 'kind' | 'pass' | 'limitText'> & { limit: number }, op: '<=' | '>=' = '<='): Row {
  const pass = op === '<=' ? row.value <= row.limit : row.value >= row.limit;
  return { ...row, kind: 'floor', limitText: `${op} ${fmt(row.limit, row.unit)}`, pass };
}

export function checkRow(row: Omit<Row, 'kind' | 'pass' | 'limitText'>, pass: boolean, limitText: string): Row {
  return { ...row, kind: 'check', limitText, pass };
}

export function infoRow(row: Omit<Row, 'kind' | 'pass' | 'limitText' | 'limit'>): Row {
  return { ...row, kind: 'info' };
}

export function fmt(value: number, unit: Row['unit']): string {
  switch (unit) {
    case 'ms':
      return `${value < 10 ? value.toFixed(3) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;
    case 's':
      return `${value.toFixed(3)} s`;
    case 'MiB':
      return `${value.toFixed(0)} MiB`;
    case 'x':
      return `${value.toFixed(3)}x`;
    case 'count':
      return String(value);
  }
}

/** The q-quantile (0..1) of the values, nearest-rank on the sorted list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Total length covered by a set of [start, end] intervals, overlaps counted once. */
export function unionLength(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let start = Number.NEGATIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const [s, e] of sorted) {
    if (s > end) {
      if (end > start) total += end - start;
      start = s;
      end = e;
    } else if (e > end) {
      end = e;
    }
  }
  if (end > start) total += end - start;
  return total;
}

/** The part of the intervals that falls inside [from, to]. */
export function clip(intervals: ReadonlyArray<readonly [number, number]>, from: number, to: number): Array<[number, number]> {
  return intervals.filter(([s, e]) => e > from && s < to).map(([s, e]) => [Math.max(s, from), Math.min(e, to)]);
}

export const MiB = 1024 * 1024;

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Runs a full garbage collection when Node was started with --expose-gc (npm run perf does). */
export function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** A bridge for sandboxes used without a model: every call answers at once. */
export const idleBridge = {
  llm_query: () => Promise.resolve(''),
  rlm_query: () => Promise.resolve(''),
  budget: () => null,
};
