/**
 * Score against input size, one line per method and one panel per task, as an SVG file that
 * needs nothing else to render. Each point carries its numbers as data attributes.
 */
import { formatTokens } from '../tasks/task.ts';
import { groupRows, meanScore, seriesOf } from './report.ts';
import type { BenchRow } from './runner.ts';

const PANEL = { width: 380, height: 260, left: 48, right: 16, top: 34, bottom: 40 };
/** Panels a row: five tasks make two rows, not one picture five panels wide. */
const COLUMNS = 3;
/** Pixels between the lines of methods with equal scores, so that none hides another; at most 8 in all. */
const DODGE = 1.5;
const DODGE_SPREAD = 8;
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** One point of the chart: a method's mean score on a task family at one size. */
export interface ChartPoint {
  family: string;
  /** The method, and its model when the rows hold more than one (`rlm · gpt-5`). */
  method: string;
  targetTokens: number;
  /** Mean score at this size, 0 to 100. */
  score: number;
  instances: number;
}

/** Mean score per task, method and size. */
export function chartPoints(rows: readonly BenchRow[]): ChartPoint[] {
  const series = seriesOf(rows);
  return [...groupRows(rows, (r) => [r.family, series(r), r.targetTokens]).entries()]
    .map(([key, members]) => {
      const [family, method, tokens] = key.split('\u0000') as [string, string, string];
      return { family, method, targetTokens: Number(tokens), score: meanScore(members), instances: members.length };
    })
    .sort((a, b) => a.targetTokens - b.targetTokens);
}

/** The chart as SVG: score against input size, one line per method, one panel per task family. */
export function scoreChart(rows: readonly BenchRow[]): string {
  const points = chartPoints(rows);
  const families = [...new Set(points.map((p) => p.family))];
  const methods = [...new Set(points.map((p) => p.method))];
  const sizes = [...new Set(points.map((p) => p.targetTokens))].sort((a, b) => a - b);
  const [low, high] = [Math.log10(sizes[0] ?? 1000), Math.log10(sizes.at(-1) ?? 1000)];
  const plotWidth = PANEL.width - PANEL.left - PANEL.right;
  const plotHeight = PANEL.height - PANEL.top - PANEL.bottom;
  const x = (tokens: number) => PANEL.left + (high === low ? plotWidth / 2 : ((Math.log10(tokens) - low) / (high - low)) * plotWidth);
  const y = (score: number) => PANEL.top + plotHeight - (score / 100) * plotHeight;
  const columns = Math.min(COLUMNS, Math.max(1, families.length));
  const rowsOfPanels = Math.max(1, Math.ceil(families.length / COLUMNS));
  // The legend: one entry a series, as wide as the longest label (about 7 px a character). The
  // picture widens, up to three panels, to hold it on one line, then the legend wraps.
  const item = Math.max(150, 30 + 7 * Math.max(0, ...methods.map((m) => m.length)));
  const width = Math.max(PANEL.width * columns, Math.min(12 + item * methods.length, PANEL.width * COLUMNS), 12 + item);
  const perLine = Math.max(1, Math.floor((width - 12) / item));
  const legendHeight = 24 + 20 * (Math.ceil(methods.length / perLine) - 1);
  const height = PANEL.height * rowsOfPanels + legendHeight;
  const parts: string[] = [];
  families.forEach((family, panel) => {
    const [left, top] = [(panel % COLUMNS) * PANEL.width, legendHeight + Math.floor(panel / COLUMNS) * PANEL.height];
    parts.push(`<g transform="translate(${left},${top})" data-family="${escape(family)}">`);
    parts.push(`<text x="${PANEL.width / 2}" y="18" text-anchor="middle" font-weight="bold">${escape(family)}</text>`);
    for (const tick of [0, 25, 50, 75, 100]) {
      parts.push(`<line x1="${PANEL.left}" x2="${PANEL.width - PANEL.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`);
      parts.push(`<text x="${PANEL.left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11">${tick}</text>`);
    }
    for (const size of sizes)
      parts.push(
        `<text x="${x(size)}" y="${PANEL.height - PANEL.bottom + 16}" text-anchor="middle" font-size="11">${formatTokens(size)}</text>`,
      );
    parts.push(
      `<text x="${PANEL.left + plotWidth / 2}" y="${PANEL.height - 6}" text-anchor="middle" font-size="11">input size (tokens)</text>`,
    );
    methods.forEach((method, m) => {
      const mine = points.filter((p) => p.family === family && p.method === method);
      if (mine.length === 0) return;
      const colour = COLOURS[m % COLOURS.length]!;
      // Methods with the same scores are drawn side by side, a pixel or two apart, rather than
      // the last drawn hiding the others; the data attributes keep the exact scores.
      const dodge = (m - (methods.length - 1) / 2) * Math.min(DODGE, DODGE_SPREAD / Math.max(1, methods.length - 1));
      const at = (p: ChartPoint) => `${x(p.targetTokens).toFixed(1)},${(y(p.score) + dodge).toFixed(1)}`;
      parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${mine.map(at).join(' ')}"/>`);
      for (const p of mine) {
        parts.push(
          `<circle cx="${x(p.targetTokens).toFixed(1)}" cy="${(y(p.score) + dodge).toFixed(1)}" r="3.5" fill="${colour}" data-method="${escape(method)}" data-family="${escape(family)}" data-size="${p.targetTokens}" data-score="${p.score.toFixed(2)}" data-instances="${p.instances}"><title>${escape(method)}, ${formatTokens(p.targetTokens)}: ${p.score.toFixed(1)}</title></circle>`,
        );
      }
    });
    parts.push('</g>');
  });
  const legend = methods
    .map(
      (method, m) =>
        `<g transform="translate(${12 + (m % perLine) * item},${8 + 20 * Math.floor(m / perLine)})"><rect width="12" height="12" fill="${COLOURS[m % COLOURS.length]}"/><text x="18" y="11" font-size="12">${escape(method)}</text></g>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${legend}${parts.join('')}</svg>\n`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
