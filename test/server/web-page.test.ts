import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { byTurn, repl, type ScriptedReply, type ScriptedRequest } from '../../src/testing/index.ts';
import { gate, recordPastTrace, startRunsServer } from './runs-harness.ts';
import { launchChromium, skipWithoutChromium } from '../support/browser.ts';

const skip = skipWithoutChromium;

/** Starts a run from the home page's form with pasted text and waits for its page. */
async function ask(tab: Page, query: string, context: string): Promise<void> {
  await tab.waitForSelector('#model option[value="rlm"]', { state: 'attached' });
  await tab.selectOption('#model', 'rlm');
  await tab.fill('#query', query);
  await tab.fill('#context-text', context);
  await tab.click('#start');
  await tab.waitForURL(/\/runs\/run_[A-Za-z0-9_-]+$/);
}

const HOSTILE = '<img src=x onerror="window.__pwned = 1">';

describe('the web page', () => {
  it(
    'starts a run from pasted text and follows it live to its answer; a file is uploaded; a cancelled run shows no answer; past runs reopen',
    { skip, timeout: 180_000 },
    async () => {
      const held = gate();
      const never = gate();
      const live = byTurn([
        repl("print('the context has', context.length, 'characters')"),
        async () => (await held.promise, repl("FINAL('it is ' + context.length + ' characters long')")),
      ]);
      const script = async (request: ScriptedRequest): Promise<ScriptedReply> => {
        const all = request.messages.map((m) => m.content).join('\n');
        if (all.includes('LIVE')) return live(request);
        if (all.includes('UPLOADED')) return repl("FINAL('the file has ' + context.length + ' characters')");
        if (all.includes('HANGING')) return (await never.promise, repl("FINAL('never')"));
        return repl("FINAL('?')");
      };
      const traceDir = await mkdtemp(join(tmpdir(), 'rlm-web-'));
      const past = await recordPastTrace(traceDir, 'run_before1');
      const lines = (await readFile(past, 'utf8')).trimEnd().split('\n');
      await writeFile(join(traceDir, 'run_before2.jsonl'), `${lines.slice(0, -3).join('\n')}\n`);
      const server = await startRunsServer(script, { traceDir });
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const errors: string[] = [];
        tab.on('pageerror', (e) => errors.push(e.message));
        for (const path of ['/', '/runs/run_anything']) {
          const html = await (await fetch(server.url + path)).text();
          assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\//, `${path} is self-contained`);
        }
        await tab.goto(`${server.url}/`);

        // Live: the first turn shows, its cell opens, while the model is held before the second.
        await ask(tab, 'LIVE: how long is it?', 'twenty-two characters!');
        await tab.waitForSelector('[data-turn="r0:1"]');
        assert.equal(await tab.textContent('#run-state'), 'running');
        assert.equal(await tab.locator('#answer-box').count(), 0, 'no answer while the run goes on');
        assert.equal(await tab.locator('#no-answer').count(), 0);
        await tab.click('[data-turn="r0:1"] > summary');
        await tab.waitForSelector('[data-cell="r0:1:0"]');
        await tab.click('[data-cell="r0:1:0"] > summary');
        await tab.locator('[data-cell="r0:1:0"] pre.out', { hasText: 'the context has 22 characters' }).waitFor();
        held.open();
        await tab.waitForSelector('#answer-box');
        assert.match((await tab.textContent('#answer-box')) ?? '', /it is 22 characters long/);
        assert.equal(await tab.textContent('#run-state'), 'done');
        assert.match((await tab.textContent('#answer')) ?? '', /it is 22 characters long/, "the viewer's summary too");
        await tab.waitForSelector('[data-turn="r0:2"]');
        assert.equal(await tab.locator('[data-cell="r0:1:0"][open]').count(), 1, 'what the reader opened stays open as the run moves on');
        assert.ok(await tab.isHidden('#cancel'));
        await mkdir('test-artifacts', { recursive: true });
        await tab.screenshot({ path: 'test-artifacts/web-run.png', fullPage: true });

        // A file through the file input, read as text in the browser.
        await tab.goto(`${server.url}/`);
        await tab.waitForSelector('#model option[value="rlm"]', { state: 'attached' });
        await tab.fill('#query', 'UPLOADED: how long?');
        await tab.setInputFiles('#context-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('x'.repeat(1234)) });
        await tab.click('#start');
        await tab.waitForSelector('#answer-box');
        assert.match((await tab.textContent('#answer-box')) ?? '', /the file has 1234 characters/);

        // A binary file is refused in the page, and nothing is sent.
        await tab.goto(`${server.url}/`);
        await tab.waitForSelector('#model option[value="rlm"]', { state: 'attached' });
        const before = server.state.manager.list().length;
        await tab.fill('#query', 'UPLOADED: binary?');
        await tab.setInputFiles('#context-file', {
          name: 'image.png',
          mimeType: 'image/png',
          buffer: Buffer.from([137, 80, 78, 71, 0, 0, 1]),
        });
        await tab.click('#start');
        await tab.locator('#form-problem', { hasText: 'binary' }).waitFor();
        assert.match((await tab.textContent('#form-problem')) ?? '', /image\.png is a binary file/);
        assert.equal(server.state.manager.list().length, before);

        // A run cancelled from its page: it says there is no answer, and why.
        await tab.goto(`${server.url}/`);
        await ask(tab, `HANGING ${HOSTILE}`, 'c');
        await tab.waitForSelector('#cancel:visible');
        await tab.click('#cancel');
        await tab.waitForSelector('#no-answer');
        assert.match((await tab.textContent('#no-answer')) ?? '', /^No answer — the run ended without one, status cancelled/);
        assert.equal(await tab.locator('#answer-box').count(), 0);
        assert.equal(await tab.textContent('#answer'), 'Answer: (none)');
        assert.ok(((await tab.textContent('#summary')) ?? '').includes(HOSTILE), 'the question is shown as text');
        assert.equal(await tab.evaluate('typeof window.__pwned'), 'undefined');

        // The list: this process's runs and the earlier process's, each reopened from it.
        await tab.goto(`${server.url}/`);
        await tab.waitForSelector('tr[data-run="run_before1"]');
        assert.equal(await tab.locator('#runs tr').count(), 5);
        assert.ok(((await tab.textContent('#runs')) ?? '').includes(HOSTILE), 'a question is shown as text');
        assert.equal(await tab.evaluate('typeof window.__pwned'), 'undefined');
        await tab.click('tr[data-run="run_before1"] a');
        await tab.waitForSelector('#answer-box');
        assert.match((await tab.textContent('#answer-box')) ?? '', /from before/);
        assert.equal(await tab.textContent('#run-state'), 'done');
        await tab.waitForSelector('[data-turn="r0:2"]');
        await tab.goto(`${server.url}/`);
        await tab.click('tr[data-run="run_before2"] a');
        await tab.waitForSelector('#no-answer');
        assert.match((await tab.textContent('#no-answer')) ?? '', /status interrupted: the server stopped before this run ended/);
        assert.equal(await tab.locator('#answer-box').count(), 0);

        // An unknown run's page says so.
        await tab.goto(`${server.url}/runs/run_nothing`);
        await tab.locator('#run-problem', { hasText: 'There is no run run_nothing' }).waitFor();
        assert.equal(await tab.evaluate('typeof window.__pwned'), 'undefined');
        assert.deepEqual(errors, []);
      } finally {
        never.open();
        await browser.close();
        await server.close();
      }
    },
  );

  it('works behind a token given once in the address', { skip, timeout: 120_000 }, async () => {
    const server = await startRunsServer(() => repl("FINAL('with a token')"), { token: 'sesame' });
    const browser = await launchChromium();
    try {
      assert.equal((await fetch(`${server.url}/v1/runs`)).status, 401);
      const tab = await browser.newPage();
      await tab.goto(`${server.url}/?token=sesame`);
      await ask(tab, 'TOKEN: ok?', 'some text');
      await tab.waitForSelector('#answer-box');
      assert.match((await tab.textContent('#answer-box')) ?? '', /with a token/);
      assert.doesNotMatch(tab.url(), /sesame/);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
