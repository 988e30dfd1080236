import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RlmError } from '../../src/index.ts';
import { repl } from '../../src/testing/index.ts';
import { lastUser, scriptedRun } from './support.ts';

const context = 'x'.repeat(1000);

describe('limits on the whole run', () => {
  it('a call limit stops the run with status budget, and the root is asked once for its best answer', async () => {
    const run = await scriptedRun(
      [repl("const a = await llm_query_batched(['1', '2', '3', '4', '5']);\nprint(a)"), 'What I have:\nFINAL(partial)'],
      {
        limits: { maxCalls: 4 },
        concurrency: 1,
      },
    );
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      // Root 1, then two sub-calls fit; the third is refused and stops the tree: the fourth call
      // was held back for the one request that asks the root for its answer. Never a fifth.
      assert.equal(result.status, 'budget');
      assert.equal(result.error?.code, 'RLM_BUDGET_EXCEEDED');
      assert.equal(result.answer, 'partial');
      assert.equal(run.server.requests.length, 4);
      assert.equal(result.usage.total.calls, 4);
      assert.match(lastUser(run.rootRequests().at(-1)!), /reached a limit \(call limit reached \(4 calls\)\)/);
    } finally {
      await run.close();
    }
  });

  it('a time limit stops the run with status timeout', async () => {
    const run = await scriptedRun([repl("await llm_query('slow')")], { limits: { timeoutMs: 300 }, sub: () => ({ fail: 'hang' }) });
    try {
      const started = performance.now();
      const result = await run.rlm.run({ context, query: 'q' });
      assert.equal(result.status, 'timeout');
      // The sub-call would hang for good: the time limit ended the run.
      assert.ok(performance.now() - started < 5000);
    } finally {
      await run.close();
    }
  });

  it('a cost limit with a model of unknown price is refused before the run starts', async () => {
    const run = await scriptedRun([repl("FINAL('x')")], { limits: { maxCostUsd: 1 } });
    try {
      await assert.rejects(
        run.rlm.run({ context, query: 'q' }),
        (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_USAGE' && /"root" has none/.test(e.message),
      );
      assert.equal(run.server.requests.length, 0);
    } finally {
      await run.close();
    }
  });

  it('prices given by the user cost every call, and the cost limit holds', async () => {
    const run = await scriptedRun([repl("await llm_query('a')"), repl("await llm_query('b')"), repl("FINAL('never')")], {
      limits: { maxCostUsd: 0.002 },
      prices: { root: { input: 1, cachedInput: 0.1, output: 1 }, sub: { input: 1, cachedInput: 0.1, output: 1 } },
    });
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      assert.equal(result.status, 'budget');
      const tokens = run.server.requests.reduce((n, r) => n + (r.usage ? r.usage.prompt_tokens + r.usage.completion_tokens : 0), 0);
      assert.ok(Math.abs(result.usage.total.costUsd - tokens / 1e6) < 1e-12);
      assert.equal(result.usage.total.unpricedCalls, 0);
    } finally {
      await run.close();
    }
  });

  it('max depth 0 turns sub-calls off, and the model is told so', async () => {
    const run = await scriptedRun([repl("await llm_query('a')"), repl("FINAL('alone')")], { maxDepth: 0 });
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      assert.equal(result.answer, 'alone');
      assert.match(lastUser(run.rootRequests()[1]!), /sub-calls are off in this run/);
      assert.match(run.rootRequests()[0]!.messages[0]!.content, /In this run sub-calls are off/);
      assert.equal(run.server.requests.filter((r) => r.model === 'sub').length, 0);
    } finally {
      await run.close();
    }
  });
});
