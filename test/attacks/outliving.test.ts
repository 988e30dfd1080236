/**
 * Finding 6: work that outlives its cell. An unawaited async loop of sub-calls left running by a
 * cell that returns; the same loop in a cell that then times out; in Python, a batch cut by the
 * time limit, and a loop that swallows the interrupt. Promised: once the cell has ended, its
 * calls stop (those already sent at the boundary may still land, within a second), and the run
 * goes on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repl } from '../../src/testing/index.ts';
import { assertAnswered, assertContained, attackRun, finalTurn, watched, type Language } from './support.ts';

/**
 * Requests that may still arrive after a cell ended: those already on their way, at most the
 * run's concurrency (16, the default; a Python batch cut at its limit lands up to 11 of them
 * within 10 ms of the cell's end). Work that goes on keeps sending for the whole watch, so
 * nothing may arrive later than `SETTLE_MS` after the cell's end.
 */
const AT_THE_BOUNDARY = 16;
const SETTLE_MS = 1_000;
/** How long after the cell we keep counting: the root's next reply is this slow. */
const WATCH_MS = 1_500;

interface Case {
  name: string;
  language: Language;
  code: string;
  /** True when the promise includes the cell failing (it timed out). */
  timesOut: boolean;
  /** A later cell, run in the next turn, that times out. */
  then?: string;
}

const LOOP = "(async () => { for (;;) { await llm_query('x'); } })();";

const CASES: Case[] = [
  {
    name: 'an async loop of sub-calls left running by a cell that returns',
    language: 'javascript',
    code: `${LOOP}\nprint('started')`,
    timesOut: false,
  },
  {
    name: 'an async loop left running by a cell that returns, then a later cell that times out',
    language: 'javascript',
    code: `${LOOP}\nprint('started')`,
    timesOut: false,
    then: 'await new Promise(() => {});',
  },
  {
    name: 'the same loop in a cell that then times out',
    language: 'javascript',
    code: `${LOOP}\nawait new Promise(() => {});`,
    timesOut: true,
  },
  { name: 'a batch of 2,000 sub-calls cut by the time limit', language: 'python', code: "llm_query_batched(['x'] * 2000)", timesOut: true },
  {
    name: 'a loop of sub-calls that swallows the interrupt',
    language: 'python',
    code: "while True:\n    try:\n        llm_query('x')\n    except BaseException:\n        pass",
    timesOut: true,
  },
];

describe('finding 6: work outliving its cell', () => {
  for (const c of CASES) {
    it(`${c.language}: ${c.name}: its calls stop when the cell ends`, { timeout: 60_000 }, async (t) => {
      const run = await attackRun([repl(c.code), ...(c.then ? [repl(c.then)] : []), finalTurn()], {
        repl: c.language,
        cellTimeoutMs: 1_500,
        rootDelayMs: WATCH_MS,
        sub: () => ({ content: 'a', delayMs: 20 }),
      });
      try {
        const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
        const [cell] = run.cells();
        assert.ok(cell, 'the cell ran');
        const after = run.subRequests().filter((r) => r.receivedAt > cell.at);
        const before = run.subRequests().length - after.length;
        t.diagnostic(
          `${before} sub-calls during the cell, ${after.length} after it ended (at +${after.map((r) => Math.round(r.receivedAt - cell.at)).join(', +')} ms); cell ${JSON.stringify({ error: cell.error?.slice(0, 120), restarted: cell.restarted })}`,
        );
        if (c.timesOut) assert.ok(before > 0, 'the attack made calls');
        assert.ok(after.length <= AT_THE_BOUNDARY, `${after.length} sub-calls arrived after the cell ended`);
        const late = after.filter((r) => r.receivedAt > cell.at + SETTLE_MS).length;
        assert.equal(late, 0, `${late} sub-calls arrived more than ${SETTLE_MS} ms after the cell ended`);
        if (c.timesOut) assert.ok(cell.error, 'the cell did not fail');
        // After the later cell timed out, nothing more either.
        const later = run.cells()[1];
        if (c.then && later) {
          const afterLater = run.subRequests().filter((r) => r.receivedAt > later.at + SETTLE_MS).length;
          assert.equal(afterLater, 0, `${afterLater} sub-calls arrived more than ${SETTLE_MS} ms after the later cell timed out`);
        }
        assertAnswered(result);
        // Nothing arrives after the run, either.
        const total = run.subRequests().length;
        await new Promise((resolve) => setTimeout(resolve, 500));
        assert.equal(run.subRequests().length, total, 'sub-calls arrived after the run ended');
        assertContained(figures);
      } finally {
        await run.close();
      }
    });
  }
});
