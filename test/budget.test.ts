import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Budget, BudgetExceededError } from '../src/index.ts';

describe('Budget', () => {
  it('sums usage per model and per depth', () => {
    const budget = new Budget();
    budget.begin();
    budget.end('a', 0, { inputTokens: 10, cachedInputTokens: 2, outputTokens: 5, costUsd: 0.5 });
    budget.begin();
    budget.end('b', 1, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 });
    budget.begin();
    budget.end('b', 1, undefined);
    const usage = budget.usage();
    assert.deepEqual(usage.total, { calls: 2, inputTokens: 11, cachedInputTokens: 2, cacheWriteInputTokens: 0, outputTokens: 6, costUsd: 0.5, unpricedCalls: 1 });
    assert.equal(usage.byModel.a!.calls, 1);
    assert.equal(usage.byDepth['1']!.inputTokens, 1);
    assert.equal(budget.snapshot().failedCalls, 1);
  });

  it('refuses a call past the call, token and cost limits, and says what is left', () => {
    const budget = new Budget({ maxCalls: 2, maxTokens: 100, maxCostUsd: 1 });
    budget.begin();
    budget.end('a', 0, { inputTokens: 40, cachedInputTokens: 0, outputTokens: 10, costUsd: 0.25 });
    assert.deepEqual(budget.snapshot().left, { calls: 1, tokens: 50, costUsd: 0.75 });
    budget.begin();
    assert.throws(() => budget.begin(), (e: unknown) => e instanceof BudgetExceededError && e.limit === 'calls');
    const tokens = new Budget({ maxTokens: 10 });
    tokens.begin();
    tokens.end('a', 0, { inputTokens: 10, cachedInputTokens: 0, outputTokens: 0 });
    assert.throws(() => tokens.begin(), (e: unknown) => e instanceof BudgetExceededError && e.limit === 'tokens');
  });
});
