/**
 * The chart renders: Chromium opens chart.svg as a file, parses it without error, and draws every
 * point inside the picture, higher scores higher up, one colour per method, with a legend entry
 * for each method.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { chartPoints, scoreChart } from '../../src/benchmark/chart.ts';
import { METHODS } from '../../src/benchmark/methods.ts';
import type { BenchRow } from '../../src/benchmark/runner.ts';
import { TASK_FAMILIES } from '../../src/tasks/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI ? 'needs Debian chromium (apt-get install -y chromium)' : false;

/** Rows for every method (of each model) on the tasks at three sizes, two instances each, scores falling with size. */
function rows(families: readonly string[], models: readonly string[]): BenchRow[] {
  const out: BenchRow[] = [];
  for (const model of models)
    for (const family of families) {
      for (const [s, targetTokens] of [8_000, 131_000, 1_000_000].entries()) {
        METHODS.forEach((method, m) => {
          for (let i = 0; i < 2; i++) {
            // On codeqa every method scores 1: lines that must not hide one another.
            const score = method === 'rlm' || family === 'codeqa' ? 1 : Math.max(0, 1 - (s + m + i) / 6);
            out.push({
              taskId: `${family}-${targetTokens}-${i}`,
              family,
              targetTokens,
              contextChars: targetTokens * 4,
              method,
              model,
              score,
              status: 'done',
              truth: 'x',
              costUsd: 0,
              unpricedCalls: 0,
              inputTokens: 0,
              outputTokens: 0,
              calls: 1,
              durationMs: 1,
            });
          }
        });
      }
    }
  return out;
}

interface Drawn {
  root: string;
  parseError: number;
  points: Array<{ method: string; family: string; size: string; score: string; y: number; fill: string; inside: boolean }>;
  legend: Array<{ text: string; inside: boolean; left: number; right: number; top: number; bottom: number }>;
  panels: Array<{ left: number; right: number; top: number; bottom: number }>;
}

describe('chart.svg in Chromium', () => {
  for (const [families, models] of [
    [['sniah'], ['m']],
    [['sniah', 'browsecomp'], ['m']],
    [[...TASK_FAMILIES], ['m']],
    // Two benches reported together: ten series, each labelled with its model.
    [
      ['sniah', 'oolong'],
      ['gpt-5', 'claude-sonnet-4-5-20250929'],
    ],
  ] as const) {
    it(
      `renders every point inside the picture, placed by its score, with a legend for each series (${families.length} task${families.length > 1 ? 's' : ''}, ${models.length} model${models.length > 1 ? 's' : ''})`,
      { skip, timeout: 60_000 },
      async () => {
        const data = rows(families, models);
        const series = models.length > 1 ? models.flatMap((model) => METHODS.map((method) => `${method} · ${model}`)) : [...METHODS];
        const dir = await mkdtemp(join(tmpdir(), 'rlm-chart-'));
        const file = join(dir, 'chart.svg');
        await writeFile(file, scoreChart(data));
        const browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
        });
        try {
          const tab = await browser.newPage({ viewport: { width: 1200, height: 600 } });
          const errors: string[] = [];
          tab.on('pageerror', (e) => errors.push(e.message));
          await tab.goto(pathToFileURL(file).href);
          // Run in the page (a string: this project's types have no DOM).
          const drawn = (await tab.evaluate(`(() => {
        const svg = document.documentElement;
        const box = svg.getBoundingClientRect();
        const inside = (r) => r.width > 0 && r.height > 0 && r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
        return {
          root: svg.tagName,
          parseError: document.getElementsByTagName('parsererror').length,
          points: [...document.querySelectorAll('circle')].map((c) => ({ ...c.dataset, y: c.getBoundingClientRect().top, fill: c.getAttribute('fill'), inside: inside(c.getBoundingClientRect()) })),
          panels: [...document.querySelectorAll('g[data-family]')].map((g) => { const r = g.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; }),
          legend: [...document.querySelectorAll('svg > g:not([data-family]) text')].map((t) => { const r = t.getBoundingClientRect(); return { text: t.textContent, inside: inside(r), left: r.left, right: r.right, top: r.top, bottom: r.bottom }; }),
        };
      })()`)) as Drawn;
          assert.equal(drawn.root, 'svg');
          assert.equal(drawn.parseError, 0);
          assert.equal(drawn.points.length, chartPoints(data).length);
          assert.equal(drawn.points.length, families.length * 3 * series.length);
          for (const point of drawn.points) assert.ok(point.inside, `${point.method} at ${point.size} on ${point.family} is drawn inside`);
          assert.deepEqual(
            drawn.legend.map((l) => l.text),
            series,
          );
          assert.ok(
            drawn.legend.every((l) => l.inside),
            'the whole legend shows',
          );
          for (const [i, a] of drawn.legend.entries()) {
            for (const b of drawn.legend.slice(i + 1))
              assert.ok(
                a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top,
                `legend entries ${a.text} and ${b.text} apart`,
              );
          }
          // Within a panel, a higher score is drawn higher; each method has its own colour.
          const sniah = drawn.points.filter((p) => p.family === 'sniah');
          for (const a of sniah)
            for (const b of sniah) if (Number(a.score) > Number(b.score)) assert.ok(a.y < b.y, `${a.score} above ${b.score}`);
          assert.equal(new Set(sniah.map((p) => p.fill)).size, series.length);
          // No panel overlaps another; five tasks wrap onto a second row.
          for (const [i, a] of drawn.panels.entries()) {
            for (const b of drawn.panels.slice(i + 1))
              assert.ok(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top, 'panels apart');
          }
          assert.equal(new Set(drawn.panels.map((p) => Math.round(p.top))).size, Math.ceil(families.length / 3));
          // Equal scores: every method's point still shows, a pixel or two from the others.
          for (const size of (families as readonly string[]).includes('codeqa') ? ['8000', '131000', '1000000'] : []) {
            const tied = drawn.points.filter((p) => p.family === 'codeqa' && p.size === size);
            assert.equal(new Set(tied.map((p) => p.y)).size, series.length, `every method visible at ${size}`);
            assert.ok(Math.max(...tied.map((p) => p.y)) - Math.min(...tied.map((p) => p.y)) <= 8, 'and close together');
          }
          await mkdir('test-artifacts', { recursive: true });
          await tab.screenshot({ path: `test-artifacts/chart-${families.length}-${models.length}.png` });
          assert.deepEqual(errors, []);
        } finally {
          await browser.close();
        }
      },
    );
  }
});
