/** The benchmark's results as a Markdown table like the paper's: score, cost (mean, median, p90), time. */
import type { BenchRow } from './runner.ts';

/** A task family and method's results, summed up: a row of the report. */
export interface GroupStats {
  family: string;
  /** The method, and its model when the rows hold more than one (`rlm · gpt-5`): see {@link seriesOf}. */
  method: string;
  instances: number;
  /** Mean score, 0 to 100. */
  score: number;
  meanCost: number;
  medianCost: number;
  p90Cost: number;
  meanSeconds: number;
  meanInputTokens: number;
  meanOutputTokens: number;
  /** Instances whose cost was not fully known (a model with no price). */
  unpriced: number;
  /** `direct` instances whose context was cut to the window. */
  cut: number;
  /** How the runs that did not finish ended, e.g. `budget 2, error 1` (empty when all did). */
  unfinished: string;
}

/** Rows grouped by the parts `keyOf` names (joined with a separator no name contains). */
export function groupRows(rows: readonly BenchRow[], keyOf: (row: BenchRow) => Array<string | number>): Map<string, BenchRow[]> {
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const key = keyOf(row).join('\u0000');
    const members = groups.get(key);
    if (members) members.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/**
 * What a line of the tables and the chart stands for: the method, and the root model too when the
 * rows come from more than one (benches of several models reported together, as in the paper's
 * table of GPT-5 and Qwen3-Coder).
 */
export function seriesOf(rows: readonly BenchRow[]): (row: BenchRow) => string {
  const models = new Set(rows.map((row) => row.model));
  return models.size > 1 ? (row) => `${row.method} · ${row.model}` : (row) => row.method;
}

/** Mean score of rows, 0 to 100. */
export function meanScore(rows: readonly BenchRow[]): number {
  return (100 * rows.reduce((sum, r) => sum + r.score, 0)) / rows.length;
}

/** The report's rows: the results grouped by task family and method (and model, when several). */
export function groupStats(rows: readonly BenchRow[]): GroupStats[] {
  const series = seriesOf(rows);
  return [...groupRows(rows, (r) => [r.family, series(r)]).entries()].map(([key, members]) => {
    const [family, method] = key.split('\u0000') as [string, string];
    const costs = members.map((r) => r.costUsd).sort((a, b) => a - b);
    return {
      family,
      method,
      instances: members.length,
      score: meanScore(members),
      meanCost: costs.reduce((a, b) => a + b, 0) / costs.length,
      medianCost: quantile(costs, 0.5),
      p90Cost: quantile(costs, 0.9),
      meanSeconds: members.reduce((sum, r) => sum + r.durationMs, 0) / members.length / 1000,
      meanInputTokens: members.reduce((sum, r) => sum + r.inputTokens, 0) / members.length,
      meanOutputTokens: members.reduce((sum, r) => sum + r.outputTokens, 0) / members.length,
      unpriced: members.filter((r) => r.unpricedCalls > 0).length,
      cut: members.filter((r) => r.cut).length,
      unfinished: countStatuses(members.filter((r) => r.status !== 'done')),
    };
  });
}

/** `budget 2, error 1`: how runs that did not finish ended. */
function countStatuses(rows: readonly BenchRow[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.status, (counts.get(row.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${status} ${n}`).join(', ');
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const money = (usd: number) => `$${usd < 0.01 && usd > 0 ? usd.toFixed(4) : usd.toFixed(2)}`;

/** 850, 528K, 4.2M, 37M: token counts as precise as a table or an estimate needs. */
export function compactTokens(tokens: number): string {
  if (tokens >= 1e6) return `${(tokens / 1e6).toFixed(tokens >= 1e7 ? 0 : 1)}M`;
  return tokens >= 1e3 ? `${Math.round(tokens / 1e3)}K` : String(Math.round(tokens));
}

/** Two tables: the paper's compact one (score and mean cost per task), then every figure. */
export function markdownReport(rows: readonly BenchRow[], title = 'Benchmark results'): string {
  const stats = groupStats(rows);
  const families = [...new Set(stats.map((s) => s.family))];
  const methods = [...new Set(stats.map((s) => s.method))];
  const cell = (family: string, method: string) => {
    const s = stats.find((x) => x.family === family && x.method === method);
    if (!s) return '–';
    // With no price for any of its runs (a local model, say), the tokens read are the measure.
    if (s.unpriced === s.instances) return `${s.score.toFixed(1)} (${compactTokens(s.meanInputTokens)} tokens)`;
    return `${s.score.toFixed(1)} (${money(s.meanCost)}${s.unpriced ? '?' : ''})`;
  };
  const lines = [
    `# ${title}`,
    '',
    'Score (mean cost per instance); `?` marks a cost that is partly unknown (a model without a price), and where no run had a price, the mean input tokens stand in for the cost.',
    '',
    `| method | ${families.join(' | ')} |`,
    `|---|${families.map(() => '---|').join('')}`,
    ...methods.map((method) => `| ${method} | ${families.map((family) => cell(family, method)).join(' | ')} |`),
    '',
    '| task | method | instances | score | mean cost | median cost | p90 cost | mean tokens (in / out) | mean time | notes |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...stats.map((s) => {
      const notes = [
        s.unfinished ? `not finished: ${s.unfinished}` : '',
        s.cut ? `context cut in ${s.cut}` : '',
        s.unpriced ? `cost unknown in ${s.unpriced}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      return `| ${s.family} | ${s.method} | ${s.instances} | ${s.score.toFixed(1)} | ${money(s.meanCost)} | ${money(s.medianCost)} | ${money(s.p90Cost)} | ${compactTokens(s.meanInputTokens)} / ${compactTokens(s.meanOutputTokens)} | ${s.meanSeconds.toFixed(1)} s | ${notes} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
