import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { createOpenAIModel, JsonlTrace, readTrace, RLM } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';
import { buildViewModel } from '../../src/trace/view-model.ts';
import { renderViewer } from '../../src/trace/viewer.ts';
import { syntheticTrace } from './synthetic.ts';
import { runCli } from '../cli/support.ts';
import { launchChromium, skipWithoutChromium } from '../support/browser.ts';

const skip = skipWithoutChromium;

/** Records a run with concurrent sub-calls, a child RLM, an error and a long output. */
async function recordTrace(): Promise<string> {
  const root = byTurn([
    repl(
      "const answers = await llm_query_batched(Array.from({ length: 30 }, (_, i) => 'classify item ' + i));\nprint(answers.length, 'x'.repeat(5000))",
    ),
    repl("const deep = await rlm_query('go deeper', 'child context');\nnotAFunction()"),
    repl("FINAL('viewer answer ' + deep)"),
  ]);
  const child = byTurn([repl("FINAL('from the child ' + (await llm_query('needle-in-child')))")]);
  const server = await startScriptedServer({
    script: (r) =>
      r.model === 'root' ? root(r) : r.system ? child(r) : { content: `label for ${r.lastUser}`, delayMs: 5 + (r.index % 5) * 3 },
  });
  const dir = await mkdtemp(join(tmpdir(), 'rlm-view-'));
  const path = join(dir, 'run.jsonl');
  try {
    const trace = new JsonlTrace(path, { context: 'ctx' });
    const models = ['root', 'one', 'two'].map((id) => createOpenAIModel({ model: id, baseURL: server.url }));
    await new RLM({ model: models[0]!, modelsByDepth: models, maxDepth: 2, concurrency: 8, onEvent: trace.onEvent }).run({
      context: 'ctx',
      query: 'view me',
    });
    await trace.close();
  } finally {
    await server.close();
  }
  return path;
}

describe('rlm view', () => {
  it('builds the tree with totals summed up it', async () => {
    const path = await recordTrace();
    const model = buildViewModel(await readTrace(path));
    const root = model.runs[model.rootRunId!]!;
    assert.equal(root.turns.length, 3);
    assert.equal(root.turns[0]!.cells[0]!.calls.length, 30);
    assert.equal(root.turns[1]!.cells[0]!.children.length, 1);
    assert.match(root.turns[1]!.cells[0]!.error ?? '', /notAFunction is not defined/);
    const all = Object.values(model.calls);
    assert.equal(model.summary.totals.calls, all.length);
    assert.equal(
      model.summary.totals.tokens,
      all.reduce((n, c) => n + c.tokens, 0),
    );
  });

  it('opens in headless Chromium: expand a sub-call, search, check the numbers, screenshot', { skip, timeout: 60_000 }, async () => {
    const path = await recordTrace();
    const run = await runCli(['view', path]);
    assert.equal(run.code, 0, run.stderr);
    const page = run.stdout.trim();
    assert.ok(page.endsWith('.html'));
    const html = await readFile(page, 'utf8');
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\//, 'self-contained: no external script, style or URL');
    const trace = await readTrace(path);
    const end = trace.events.findLast((e) => e.type === 'run-end' && e.depth === 0);
    assert.ok(end && end.type === 'run-end');

    const browser = await launchChromium();
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      tab.on('pageerror', (e) => errors.push(e.message));
      await tab.goto(pathToFileURL(page).href);
      // The numbers shown are the trace's.
      const total = end.usage.total;
      assert.equal(await tab.getAttribute('#total-tokens', 'data-value'), String(total.inputTokens + total.outputTokens));
      assert.equal((await tab.textContent('#total-calls'))?.replace('Calls: ', ''), String(total.calls));
      assert.match((await tab.textContent('#answer')) ?? '', /viewer answer from the child label for needle-in-child/);
      assert.ok(Number(await tab.getAttribute('#timeline', 'data-max-overlap')) > 1, 'overlapping sub-calls on separate lanes');

      // Expand turn 1, its cell, and one of its sub-calls: the prompt and reply are shown.
      await tab.click('[data-turn="r0:1"] > summary');
      await tab.click('[data-cell="r0:1:0"] > summary');
      await tab.locator('[data-cell="r0:1:0"] [data-call]').first().waitFor();
      const sub = tab.locator('[data-cell="r0:1:0"] [data-call] > summary').nth(3);
      await sub.click();
      const opened = tab.locator('[data-cell="r0:1:0"] details[data-call][open]');
      await assertText(opened, /classify item 3[\s\S]*label for classify item 3/);
      // The long output is folded.
      assert.match((await tab.textContent('[data-cell="r0:1:0"]')) ?? '', /Show all 5,0\d\d characters/);

      // Search finds text deep in the tree, and a click opens the path to it.
      await tab.fill('#search', 'needle-in-child');
      await tab.waitForSelector('#result-count');
      assert.match((await tab.textContent('#result-count')) ?? '', /^[1-9]\d* match/);
      // Two matches: the child's cell (its code) and its sub-call (the prompt); open the sub-call.
      await tab.locator('#results .hit', { hasText: 'sub-call' }).first().click();
      await assertText(tab.locator('details[data-call][open]').last(), /needle-in-child/);
      // The error is marked.
      assert.match((await tab.locator('[data-turn="r0:2"] > summary').textContent()) ?? '', /error/);

      await mkdir('test-artifacts', { recursive: true });
      await tab.screenshot({ path: 'test-artifacts/viewer.png', fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});

describe('rlm view with 10,000 sub-calls', () => {
  it('loads, pages the sub-calls, draws every bar and searches them all', { skip, timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-view-scale-'));
    const page = join(dir, 'scale.html');
    await writeFile(page, renderViewer(syntheticTrace(10_000)));
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(pathToFileURL(page).href);
      assert.equal(await tab.textContent('#total-calls'), 'Calls: 10001');
      assert.match((await tab.textContent('#legend')) ?? '', /^10001 calls over .*; 16 at most at once/);
      await tab.click('[data-turn="r0:1"] > summary');
      await tab.click('[data-cell="r0:1:0"] > summary');
      await tab.locator('[data-cell="r0:1:0"] [data-call]').first().waitFor();
      assert.equal(await tab.locator('[data-cell="r0:1:0"] [data-call]').count(), 100, 'sub-calls are shown a page at a time');
      assert.match((await tab.textContent('[data-cell="r0:1:0"] button.more:visible')) ?? '', /Show 100 more of 9900/);
      await tab.fill('#search', 'item 9999:');
      await tab.waitForSelector('#result-count');
      assert.equal(await tab.textContent('#result-count'), '1 match');
      await tab.click('#results .hit');
      await assertText(tab.locator('details[data-call="9999"]'), /answer 9999/);
    } finally {
      await browser.close();
    }
  });
});

describe('rlm view and hostile text', () => {
  it('shows what model code printed as text: a script in an output or a prompt never runs', { skip, timeout: 60_000 }, async () => {
    const trace = syntheticTrace(3);
    const hostile = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
    for (const event of trace.events) {
      if (event.type === 'cell-end') event.output = hostile;
      if (event.type === 'model-call-start' && event.kind === 'sub') event.messages = [{ role: 'user', content: hostile }];
      if (event.type === 'run-start') event.query = hostile;
    }
    const dir = await mkdtemp(join(tmpdir(), 'rlm-view-xss-'));
    const page = join(dir, 'hostile.html');
    await writeFile(page, renderViewer(trace, hostile));
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      await tab.goto(pathToFileURL(page).href);
      await tab.click('[data-turn="r0:1"] > summary');
      await tab.click('[data-cell="r0:1:0"] > summary');
      await tab.locator('[data-cell="r0:1:0"] [data-call] > summary').first().click();
      await tab.locator('[data-cell="r0:1:0"] details[data-call][open] pre').first().waitFor();
      assert.equal(await tab.evaluate('typeof window.__pwned'), 'undefined');
      assert.ok(((await tab.textContent('[data-cell="r0:1:0"]')) ?? '').includes('<script>window.__pwned = 1</script>'), 'shown as text');
    } finally {
      await browser.close();
    }
  });
});

describe('rlm view with tool calls', () => {
  it(
    'lists each tool call in its cell: name, arguments, the result (long ones folded) or what it threw; search finds them',
    { skip, timeout: 60_000 },
    async () => {
      const trace = syntheticTrace(2);
      const cellEnd = trace.events.findIndex((e) => e.type === 'cell-end');
      const long = Array.from({ length: 300 }, (_, i) => `passage ${i}`);
      trace.events.splice(
        cellEnd,
        0,
        { type: 'tool-call', runId: 'r0', depth: 0, name: 'lookup', args: ['x', 2], result: { key: 'x' }, durationMs: 3, t: 7 },
        {
          type: 'tool-call',
          runId: 'r0',
          depth: 0,
          name: 'search',
          args: ['<script>window.__pwned = 1</script>'],
          result: long,
          durationMs: 4,
          t: 8,
        },
        { type: 'tool-call', runId: 'r0', depth: 0, name: 'fail', args: [], error: 'the tool is down', durationMs: 1, t: 9 },
      );
      assert.deepEqual(
        buildViewModel(trace).runs['r0']!.turns[0]!.cells[0]!.tools.map((t) => t.name),
        ['lookup', 'search', 'fail'],
      );
      const dir = await mkdtemp(join(tmpdir(), 'rlm-view-tools-'));
      const page = join(dir, 'tools.html');
      await writeFile(page, renderViewer(trace));
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage();
        const errors: string[] = [];
        tab.on('pageerror', (e) => errors.push(e.message));
        await tab.goto(pathToFileURL(page).href);
        await tab.click('[data-turn="r0:1"] > summary');
        await tab.click('[data-cell="r0:1:0"] > summary');
        const lines = tab.locator('[data-cell="r0:1:0"] .tool');
        await lines.first().waitFor();
        const texts = await lines.allTextContents();
        assert.equal(texts.length, 3);
        assert.match(texts[0]!, /^tool lookup\("x",2\) → {"key":"x"}/);
        assert.match(texts[1]!, /^tool search\("<script>window.__pwned = 1<\/script>"\) → /);
        assert.match(texts[2]!, /^tool fail\(\) → threw: the tool is down/);
        assert.match((await tab.textContent('[data-cell="r0:1:0"]')) ?? '', /Show all [\d,]+ characters/, 'the long result is folded');
        assert.equal(await tab.evaluate('typeof window.__pwned'), 'undefined');
        await tab.fill('#search', 'passage 299');
        await tab.waitForSelector('#result-count');
        assert.equal(await tab.textContent('#result-count'), '1 match');
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    },
  );
});

/** Waits for a node's lazily built body, then checks its text. */
async function assertText(locator: import('playwright-core').Locator, pattern: RegExp): Promise<void> {
  await locator.locator('pre').first().waitFor();
  const text = (await locator.textContent()) ?? '';
  assert.match(text, pattern);
}
