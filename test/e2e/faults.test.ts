import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repl } from '../../src/testing/index.ts';
import { lastUser, scriptedRun } from './support.ts';

const context = 'some text\n'.repeat(100);

describe('faults in model code are reported to the model and the run still answers', () => {
  it('endless loop, unawaited rejection, gigabyte allocation, thrown error, syntax error', async () => {
    const run = await scriptedRun(
      [
        repl("const kept = 'still here';\nwhile (true) {}"),
        repl("Promise.reject(new Error('nobody awaited me'));\nprint('after')"),
        // Past what V8 can give an isolate: in-process this aborted the whole host process.
        repl('const huge = new Array(2 ** 30).fill(0)'),
        repl("throw new RangeError('bad index')"),
        repl('const = 5'),
        repl("FINAL(typeof kept + ' / ' + context.length)"),
      ],
      { cellTimeoutMs: 500, memoryLimitMb: 96 },
    );
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      const seen = run.rootRequests().slice(1).map(lastUser);
      assert.match(seen[0]!, /TimeoutError: the cell was still computing after 500 ms/);
      assert.match(seen[1]!, /after\nUnhandled promise rejection: nobody awaited me/);
      assert.match(seen[2]!, /TimeoutError|ran out of memory|REPL stopped/);
      assert.match(seen[3]!, /RangeError: bad index \(line 1\)/);
      assert.match(seen[4]!, /SyntaxError: Unexpected token \(line 1, column 7\)/);
      // Whether the gigabyte cell timed out (variables kept) or restarted the REPL (gone), the
      // run answers, with `context` in place.
      assert.equal(result.status, 'done');
      assert.match(result.answer ?? '', /^(string|undefined) \/ 1000$/);
    } finally {
      await run.close();
    }
  });

  it('a memory blow-up hits the memory cap, whatever the load: the REPL restarts without its variables, with the context back', async () => {
    // The cell's time limit is far beyond what the blow-up takes even on a busy machine, so the
    // memory cap is what stops it (with a short limit, a loaded machine timed out first).
    const run = await scriptedRun(
      [
        repl("const kept = 'still here';\nconst hog = [];\nwhile (true) hog.push(new Array(1 << 20).fill(hog.length))"),
        repl("FINAL(typeof kept + ' / ' + context.length)"),
      ],
      { cellTimeoutMs: 600_000, memoryLimitMb: 96 },
    );
    try {
      const result = await run.rlm.run({ context, query: 'q' });
      const seen = run.rootRequests().slice(1).map(lastUser);
      assert.match(seen[0]!, /ran out of memory[\s\S]*REPL had to be restarted: all your variables are gone/);
      assert.deepEqual([result.status, result.answer], ['done', 'undefined / 1000']);
    } finally {
      await run.close();
    }
  });

  it('a 429 with Retry-After and a 500 are retried', async () => {
    let subCalls = 0;
    const run = await scriptedRun([repl("const a = await llm_query('x');\nFINAL(a)")], {
      sub: () =>
        ++subCalls === 1 ? { fail: { status: 429, retryAfterSeconds: 1 } } : subCalls === 2 ? { fail: { status: 500 } } : 'third time',
    });
    try {
      const started = performance.now();
      const result = await run.rlm.run({ context, query: 'q' });
      assert.equal(result.answer, 'third time');
      assert.equal(subCalls, 3);
      assert.ok(performance.now() - started >= 990, 'waited for Retry-After');
      assert.equal(result.usage.byModel.sub!.calls, 1);
    } finally {
      await run.close();
    }
  });

  it('a run cancelled through its AbortSignal stops with status cancelled', async () => {
    const run = await scriptedRun([repl("const answers = await llm_query_batched(['a', 'b', 'c']);\nFINAL(answers)")], {
      sub: () => ({ fail: 'hang' }),
    });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const pending = run.rlm.run({ context, query: 'q', signal: controller.signal });
      const aborted = performance.now() + 300;
      const result = await pending;
      assert.equal(result.status, 'cancelled');
      assert.equal(result.answer, undefined);
      // The sub-calls would hang for good: the abort ended the run.
      assert.ok(performance.now() - aborted < 5000, `stopped ${Math.round(performance.now() - aborted)} ms after the abort`);
    } finally {
      await run.close();
    }
  });

  it('a run cancelled while the model computes in a cell also stops, long before the limit of the cell', async () => {
    const run = await scriptedRun([repl('while (true) {}')], { cellTimeoutMs: 60_000 });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const started = performance.now();
      const result = await run.rlm.run({ context, query: 'q', signal: controller.signal });
      assert.equal(result.status, 'cancelled');
      // Long before the cell's 60 s limit: the abort ended it.
      assert.ok(performance.now() - started < 10_000);
    } finally {
      await run.close();
    }
  });

  it('a provider failure ends the run with status error and the reason', async () => {
    const run = await scriptedRun([repl('print(1)')], { model: undefined as never });
    await run.close();
    const result = await run.rlm.run({ context, query: 'q' }).catch((e: unknown) => e);
    assert.ok(result instanceof Error || (typeof result === 'object' && result !== null));
  });
});
