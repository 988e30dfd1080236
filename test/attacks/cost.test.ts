/**
 * Finding 5: a cost limit bypassed by naming a model rlm has no price for. With `maxCostUsd`
 * set, `llm_query(p, { model: 'any-unpriced-model' })` (or a child RLM on such a model) would be
 * booked at $0. Promised: the call is refused in the cell (nothing is sent to that model), the
 * model sees the error, the run goes on, and what it spent stays within the limit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Price } from '../../src/models/prices.ts';
import { repl } from '../../src/testing/index.ts';
import { assertAnswered, assertContained, attackRun, finalTurn, watched, type Language } from './support.ts';

const PRICES: Record<string, Price> = { root: { input: 2, cachedInput: 0.2, output: 8 }, sub: { input: 1, cachedInput: 0.1, output: 4 } };
const UNPRICED = 'any-unpriced-model';
const MAX_COST = 0.05;

const CALLS: Record<Language, Record<'llm_query' | 'rlm_query', string>> = {
  javascript: {
    llm_query: `const r = await llm_query('spend', { model: '${UNPRICED}' });\nprint('got', r.length)`,
    rlm_query: `const r = await rlm_query('spend', 'ctx', { model: '${UNPRICED}' });\nprint('got', r.length)`,
  },
  python: {
    llm_query: `r = llm_query('spend', model='${UNPRICED}')\nprint('got', len(r))`,
    rlm_query: `r = rlm_query('spend', 'ctx', model='${UNPRICED}')\nprint('got', len(r))`,
  },
};

describe('finding 5: a cost limit and a model without a price', () => {
  for (const language of ['javascript', 'python'] as const) {
    for (const how of ['llm_query', 'rlm_query'] as const) {
      it(
        `${language}: ${how} on an unpriced model under maxCostUsd is refused in the cell; the cost stays within the limit`,
        { timeout: 60_000 },
        async (t) => {
          const run = await attackRun([repl(CALLS[language][how]), finalTurn()], {
            repl: language,
            maxDepth: how === 'rlm_query' ? 2 : 1,
            prices: PRICES,
            limits: { maxCostUsd: MAX_COST },
            // The unpriced model would answer at length, and a child would answer at once.
            sub: (request) =>
              request.model === UNPRICED ? { content: 'y'.repeat(40_000), usage: { promptTokens: 2_000_000 } } : finalTurn('child'),
          });
          try {
            const { value: result, figures } = await watched(t, () => run.rlm.run({ context: 'c', query: 'q' }));
            assertAnswered(result);
            const sent = run.server.requests.filter((r) => r.model === UNPRICED).length;
            const cell = run.cells().find((c) => c.depth === 0);
            t.diagnostic(
              `${sent} requests to the unpriced model; cost $${result.usage.total.costUsd}; cell ${JSON.stringify({ error: cell?.error?.slice(0, 200), output: cell?.output.slice(0, 100) })}`,
            );
            assert.equal(sent, 0, `${sent} requests went to a model with no price`);
            assert.ok(cell?.error, 'the call was not refused in the cell');
            // Refused for want of a price (or, where the REPL takes no model for it, for naming one).
            assert.match(cell.error, /price|cost|model/i);
            assert.ok(result.usage.total.costUsd <= MAX_COST, `spent $${result.usage.total.costUsd}`);
            assertContained(figures);
          } finally {
            await run.close();
          }
        },
      );
    }
  }
});
