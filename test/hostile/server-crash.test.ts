/**
 * Requests that took `rlm serve` down: a body of deeply nested JSON (the trace's JSON.stringify
 * overflowed the stack outside any handler), and a trace folder that went away while the server
 * ran (the trace's open threw there too). Each is now one request's error; the server answers on.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import type { RunManager } from '../../src/server/run-manager.ts';
import { repl } from '../../src/testing/index.ts';
import { startRunsServer } from '../server/runs-harness.ts';

const JSON_HEADERS = { 'content-type': 'application/json' };

describe('rlm serve survives', () => {
  it('a body nested deeper than any value may be: 400, and the server answers on', { timeout: 60_000 }, async () => {
    const server = await startRunsServer(() => repl("FINAL('ok')"));
    try {
      const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      for (const [path, body] of [
        ['/v1/runs', `{"query":"q","context":${deep}}`],
        ['/v1/chat/completions', `{"model":"rlm","messages":[{"role":"user","content":"q"}],"metadata":${deep}}`],
      ] as const) {
        const answer = await fetch(`${server.url}${path}`, { method: 'POST', headers: JSON_HEADERS, body });
        assert.equal(answer.status, 400, path);
        const { error } = (await answer.json()) as { error: { code: string; message: string } };
        assert.equal(error.code, 'json_too_deep');
        assert.match(error.message, /more than 1000 deep/);
      }
      // Nesting within the bound, and brackets inside strings, are taken as they are.
      const fine = `{"query":"q","context":{"a":${'['.repeat(500)}"]]]]{{{{\\""${']'.repeat(500)}}}`;
      const run = await fetch(`${server.url}/v1/runs`, { method: 'POST', headers: JSON_HEADERS, body: fine });
      assert.equal(run.status, 202, await run.clone().text());
      const health = await fetch(`${server.url}/v1/health`);
      assert.equal(health.status, 200);
    } finally {
      await server.close();
    }
  });

  it('a trace folder that is gone: the run ends with an error naming no path, and the server answers on', { timeout: 60_000 }, async () => {
    const server = await startRunsServer(() => repl("FINAL('ok')"));
    try {
      await rm(server.traceDir, { recursive: true, force: true });
      const started = await fetch(`${server.url}/v1/runs`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ query: 'q', context: 'c' }),
      });
      assert.equal(started.status, 202);
      const { id } = (await started.json()) as { id: string };
      await server.state.manager.get(id)!.finished;
      const view = (await (await fetch(`${server.url}/v1/runs/${id}`)).json()) as { state: string; error?: { message: string } };
      assert.equal(view.state, 'error', JSON.stringify(view));
      assert.match(view.error!.message, /could not write the run's trace \(ENOENT\)/);
      assert.ok(!view.error!.message.includes(server.traceDir), view.error!.message);
      // The slot it held is free again: the next run is taken.
      assert.equal((server.state.manager as RunManager).stats().running, 0);
      assert.equal((await fetch(`${server.url}/v1/health`)).status, 200);
    } finally {
      await server.close();
    }
  });
});
