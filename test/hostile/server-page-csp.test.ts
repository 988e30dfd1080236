/**
 * The pages' last wall: their Content-Security-Policy runs their own scripts by hash and nothing
 * else inline. Every run string is set as text today; were one ever to reach a page as HTML, an
 * `onerror=` or a `<script>` in it must not run. Simulated here by inserting such markup into the
 * live pages in Chromium, which must still work themselves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { repl } from '../../src/testing/index.ts';
import { startRunsServer } from '../server/runs-harness.ts';
import { launchChromium, skipWithoutChromium } from '../support/browser.ts';

const skip = skipWithoutChromium;

/** Inserts hostile markup as an HTML-injection bug would, and says whether any of it ran. */
async function injectedRan(tab: Page): Promise<boolean> {
  return (await tab.evaluate(`new Promise((resolve) => {
    document.body.insertAdjacentHTML('beforeend', '<img id="hostile" src="x:y" onerror="window.__pwned = 1"><svg><script>window.__pwned = 2</script></svg>');
    const img = document.getElementById('hostile');
    const done = () => setTimeout(() => resolve(window.__pwned !== undefined), 0);
    img.addEventListener('error', done);
    if (img.complete) done();
  })`)) as boolean;
}

describe('the web pages under a hostile string', () => {
  it('run no inline markup script, while their own scripts work', { skip, timeout: 120_000 }, async () => {
    const server = await startRunsServer(() => repl("FINAL('<img src=x onerror=alert(1)>')"));
    const browser = await launchChromium();
    try {
      const home = await fetch(`${server.url}/`);
      assert.doesNotMatch(home.headers.get('content-security-policy')!, /script-src[^;]*'unsafe-inline'/);
      const tab = await browser.newPage();
      await tab.goto(`${server.url}/`);
      // The page's own script ran: it filled the model list from the API.
      await tab.waitForSelector('#model option[value="rlm"]', { state: 'attached' });
      assert.equal(await injectedRan(tab), false, 'an injected handler ran on the home page');
      const started = await fetch(`${server.url}/v1/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '<script>window.__pwned=3</script>', context: '<b>x</b>' }),
      });
      const { id } = (await started.json()) as { id: string };
      await server.state.manager.get(id)!.finished;
      await tab.goto(`${server.url}/runs/${id}`);
      // A locator waits from Playwright's own world: a string predicate is evaluated in the page,
      // which this page's CSP (no eval) refuses whenever the first check comes too early.
      await tab.locator('#outcome', { hasText: '<img src=x onerror=alert(1)>' }).waitFor();
      assert.equal(await injectedRan(tab), false, 'an injected handler ran on the run page');
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
