/**
 * Finding 2: a cell that floods the host with sub-calls. 400,000 unawaited llm_query calls in a
 * cell that then times out; 200,000 queued calls left behind by a cell that returns at once.
 * Promised: the host's event loop keeps turning, its memory stays bounded, the calls are held
 * back in the REPL (a bounded number in flight and waiting), the root's next turn does not wait
 * behind them, and the run goes on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repl } from '../../src/testing/index.ts';
import { assertAnswered, assertContained, attackRun, finalTurn, watched, type Language } from './support.ts';

const TIMEOUT = { timeout: 60_000 };
/** How long the root's next request may come after the flooding cell ended (the machine is loaded). */
const NEXT_TURN_MS = 3_000;

const TIMED_OUT_FLOOD: Record<Language, string> = {
  javascript: "for (let i = 0; i < 400_000; i++) llm_query('x' + i);\nawait new Promise(() => {});",
  python: "llm_query_batched(['x%d' % i for i in range(400_000)])",
};

describe('finding 2: a flood of sub-calls', () => {
  for (const language of ['javascript', 'python'] as const) {
    it(
      `${language}: 400,000 calls in a cell that times out: the host stays responsive, the next turn comes at once`,
      TIMEOUT,
      async (t) => {
        const run = await attackRun([repl(TIMED_OUT_FLOOD[language]), finalTurn()], {
          repl: language,
          cellTimeoutMs: 2_000,
          sub: () => ({ content: 'a', delayMs: 20 }),
        });
        try {
          const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
          assertAnswered(result);
          const [cell] = run.cells();
          assert.ok(cell?.error, 'the flooding cell failed');
          // Timed out, or refused; not a REPL that died under the flood.
          assert.doesNotMatch(
            cell.error,
            /out of memory|stopped unexpectedly|bad_alloc|interpreter failed/i,
            'the REPL died under the flood',
          );
          const next = run.rootRequests()[1]!;
          const gap = next.receivedAt - cell.at;
          t.diagnostic(
            `next root request ${Math.round(gap)} ms after the cell ended; ${run.subRequests().length} sub-calls reached the server`,
          );
          assert.ok(gap < NEXT_TURN_MS, `the root's next request came ${Math.round(gap)} ms after the cell ended`);
          assertContained(figures);
        } finally {
          await run.close();
        }
      },
    );
  }

  // 200,000 rather than 500,000: the same shape (all but 10,000 past the waiting bound), and a
  // loaded 2-core machine spends about 40 µs of the REPL's time on each call (500,000 took 21 s).
  it("javascript: 200,000 calls left queued by a cell that returns: the root's next turn does not wait behind them", TIMEOUT, async (t) => {
    const flood = repl("for (let i = 0; i < 200_000; i++) llm_query('x' + i);\nprint('fired')");
    const run = await attackRun([flood, finalTurn()], { sub: () => ({ content: 'a', delayMs: 20 }) });
    try {
      const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
      const [cell] = run.cells();
      const next = run.rootRequests()[1];
      const gap = cell && next ? next.receivedAt - cell.at : Infinity;
      t.diagnostic(
        `cell ${cell ? `ended after ${Math.round(cell.durationMs)} ms (${cell.error ?? 'no error'})` : 'never ended'}; next root request ${next ? `${Math.round(gap)} ms after it` : 'never came'}; ${run.subRequests().length} sub-calls reached the server; run ${result.status}`,
      );
      assertAnswered(result);
      assert.ok(gap < NEXT_TURN_MS, `the root's next request came ${Math.round(gap)} ms after the cell ended`);
      // Far fewer than the flood reached the model server.
      assert.ok(run.subRequests().length < 20_000, `${run.subRequests().length} sub-calls reached the server`);
      assertContained(figures);
    } finally {
      await run.close();
    }
  });
});
