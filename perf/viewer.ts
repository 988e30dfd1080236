/**
 * 5. The viewer at scale: a trace with 10,000 sub-calls rendered to HTML (time and size), then
 * opened in headless Chromium (Debian's) for the time to a drawn page and to a search result.
 * Skipped, with a note, where /usr/bin/chromium is missing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { renderViewer } from '../src/trace/viewer.ts';
import { syntheticTrace } from '../test/trace/synthetic.ts';
import { infoRow, type BenchResult, type Row } from './lib.ts';

const CALLS = 10_000;

export async function viewer(): Promise<BenchResult> {
  const rows: Row[] = [];
  const name = '5. viewer, 10,000 sub-calls';
  const trace = syntheticTrace(CALLS);
  let started = performance.now();
  const html = renderViewer(trace);
  rows.push(infoRow({ benchmark: name, metric: 'render the HTML page', value: performance.now() - started, unit: 'ms' }));
  rows.push(infoRow({ benchmark: name, metric: 'page size', value: html.length / 2 ** 20, unit: 'MiB' }));
  if (!existsSync('/usr/bin/chromium'))
    return { id: 'viewer', title: 'The trace viewer at scale', rows, details: { browser: 'skipped: no /usr/bin/chromium' } };

  const page = join(await mkdtemp(join(tmpdir(), 'rlm-bench-view-')), 'scale.html');
  await writeFile(page, html);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const tab = await browser.newPage();
    started = performance.now();
    await tab.goto(pathToFileURL(page).href);
    await tab.waitForSelector('#legend:not(:empty)');
    rows.push(
      infoRow({ benchmark: name, metric: 'open the page until the timeline is drawn', value: performance.now() - started, unit: 'ms' }),
    );
    started = performance.now();
    await tab.click('[data-turn="r0:1"] > summary');
    await tab.click('[data-cell="r0:1:0"] > summary');
    await tab.locator('[data-cell="r0:1:0"] [data-call]').first().waitFor();
    rows.push(
      infoRow({ benchmark: name, metric: 'expand the cell (first 100 sub-calls)', value: performance.now() - started, unit: 'ms' }),
    );
    started = performance.now();
    await tab.fill('#search', 'item 9999:');
    await tab.waitForSelector('#result-count');
    rows.push(
      infoRow({
        benchmark: name,
        metric: 'search all prompts and replies (incl. 120 ms debounce)',
        value: performance.now() - started,
        unit: 'ms',
      }),
    );
  } finally {
    await browser.close();
  }
  return { id: 'viewer', title: 'The trace viewer at scale', rows, details: { calls: CALLS } };
}
