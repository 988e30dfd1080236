import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Budget, BudgetExceededError } from '../src/index.ts';

const none = { tokens: 0, costUsd: 0 };

describe('Budget', () => {
  it('sums usage per model and per depth', () => {
    const budget = new Budget();
    budget.begin();
    budget.end('a', 0, { inputTokens: 10, cachedInputTokens: 2, outputTokens: 5, costUsd: 0.5 });
    budget.begin();
    budget.end('b', 1, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 });
    budget.begin();
    budget.end('b', 1, undefined);
    budget.begin();
    budget.end('b', 1, { inputTokens: 3, cachedInputTokens: 0, outputTokens: 4, estimated: true });
    const usage = budget.usage();
    assert.deepEqual(usage.total, {
      calls: 3,
      inputTokens: 14,
      cachedInputTokens: 2,
      cacheWriteInputTokens: 0,
      outputTokens: 10,
      costUsd: 0.5,
      unpricedCalls: 2,
      estimatedCalls: 1,
    });
    assert.equal(usage.byModel.a!.calls, 1);
    assert.equal(usage.byDepth['1']!.inputTokens, 4);
    assert.equal(budget.snapshot().failedCalls, 1);
  });

  it('refuses a call past the call limit, and says what is left', () => {
    const budget = new Budget({ maxCalls: 2, maxTokens: 100, maxCostUsd: 1 });
    budget.begin(none);
    budget.end('a', 0, { inputTokens: 40, cachedInputTokens: 0, outputTokens: 10, costUsd: 0.25 });
    assert.deepEqual(budget.snapshot().left, { calls: 1, tokens: 50, costUsd: 0.75 });
    budget.begin(none);
    assert.throws(
      () => budget.begin(none),
      (e: unknown) => e instanceof BudgetExceededError && e.limit === 'calls',
    );
  });

  it('counts what calls in flight reserved: a reserve that does not fit is refused, however many are in flight', () => {
    const budget = new Budget({ maxTokens: 100, maxCostUsd: 1 });
    const first = budget.begin({ tokens: 60, costUsd: 0.1 });
    assert.throws(
      () => budget.begin({ tokens: 41, costUsd: 0.1 }),
      (e: unknown) => e instanceof BudgetExceededError && e.limit === 'tokens',
    );
    assert.throws(
      () => budget.begin({ tokens: 10, costUsd: 0.95 }),
      (e: unknown) => e instanceof BudgetExceededError && e.limit === 'cost',
    );
    const second = budget.begin({ tokens: 40, costUsd: 0.9 });
    assert.deepEqual(budget.snapshot().left, { tokens: 0, costUsd: 0 });
    // Settled to what they used: the rest of their reserves comes back.
    budget.end('a', 0, { inputTokens: 20, cachedInputTokens: 0, outputTokens: 5, costUsd: 0.05 }, first);
    budget.end('a', 0, { inputTokens: 10, cachedInputTokens: 0, outputTokens: 5, costUsd: 0.05 }, second);
    assert.deepEqual(budget.snapshot().left, { tokens: 60, costUsd: 0.9 });
    assert.deepEqual(budget.headroom({ alone: true }), budget.headroom());
  });

  it('holds back a call and a reserve for the last request, which only the final call may use, even once closed', () => {
    const budget = new Budget({ maxCalls: 3, maxTokens: 100 });
    budget.hold({ tokens: 50, costUsd: 0 });
    assert.deepEqual(budget.snapshot().left, { calls: 2, tokens: 50 });
    assert.throws(
      () => budget.begin({ tokens: 51, costUsd: 0 }),
      (e: unknown) => e instanceof BudgetExceededError && e.limit === 'tokens',
    );
    budget.end('a', 0, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 }, budget.begin(none));
    budget.end('a', 0, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 0 }, budget.begin(none));
    assert.throws(
      () => budget.begin(none),
      (e: unknown) => e instanceof BudgetExceededError && e.limit === 'calls',
    );
    budget.close(new BudgetExceededError('calls', 3, 3));
    assert.throws(() => budget.begin(none), /call limit reached/);
    const last = budget.begin({ tokens: 98, costUsd: 0 }, { final: true });
    budget.end('a', 0, { inputTokens: 90, cachedInputTokens: 0, outputTokens: 8 }, last);
    assert.equal(budget.usage().total.inputTokens + budget.usage().total.outputTokens, 100);
  });

  it('wakes a waiter when a call in flight settles', async () => {
    const budget = new Budget({ maxTokens: 100 });
    const reservation = budget.begin({ tokens: 90, costUsd: 0 });
    let woken = false;
    const waiting = budget.settled().then(() => (woken = true));
    await Promise.resolve();
    assert.equal(woken, false);
    budget.end('a', 0, { inputTokens: 5, cachedInputTokens: 0, outputTokens: 5 }, reservation);
    await waiting;
    assert.equal(woken, true);
  });
});
