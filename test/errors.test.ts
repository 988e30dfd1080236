import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Budget, BudgetExceededError, CancelledError, ProviderError, RlmError, statusOf, withRetry, type Model } from '../src/index.ts';

/** An error as another copy of rlm would make it: same markers, other classes. */
function fromAnotherCopy(name: string, code: string, marks: string[], fields: Record<string, unknown> = {}): Error {
  const error = Object.assign(new Error('elsewhere'), { name, code, ...fields });
  for (const mark of marks) Object.defineProperty(error, Symbol.for(mark), { value: true });
  return error;
}

describe('errors', () => {
  it('each class recognises its own kind from another copy of the package, and only its own', () => {
    const budget = fromAnotherCopy('BudgetExceededError', 'RLM_BUDGET_EXCEEDED', ['rlm.error', 'rlm.error.budget-exceeded'], {
      limit: 'time',
      max: 10,
      spent: 12,
    });
    const provider = fromAnotherCopy('ProviderError', 'RLM_PROVIDER', ['rlm.error', 'rlm.error.provider'], { retryable: true });
    assert.ok(RlmError.isInstance(budget) && BudgetExceededError.isInstance(budget));
    assert.ok(!ProviderError.isInstance(budget) && !CancelledError.isInstance(budget));
    assert.ok(ProviderError.isInstance(provider) && !BudgetExceededError.isInstance(provider));
    assert.equal(statusOf(budget as RlmError), 'timeout');
    assert.ok(CancelledError.isInstance(new CancelledError()) && !CancelledError.isInstance(new RlmError('RLM_USAGE', 'x')));
  });

  it('a limit reached says which, what it was and what had been spent, in fields as well as in words', () => {
    const budget = new Budget({ maxCalls: 2 });
    budget.end('m', 0, undefined, budget.begin());
    budget.end('m', 0, undefined, budget.begin());
    assert.throws(
      () => budget.begin(),
      (error: unknown) =>
        BudgetExceededError.isInstance(error) &&
        error.limit === 'calls' &&
        error.max === 2 &&
        error.spent === 2 &&
        error.message === 'call limit reached (2 calls)',
    );
    const cost = new BudgetExceededError('cost', 0.5, 0.51);
    assert.equal(cost.message, 'cost limit reached ($0.5)');
    assert.equal(statusOf(cost), 'budget');
  });

  it('withRetry retries a provider error made by another copy of rlm, as it retries its own', async () => {
    let calls = 0;
    const model: Model = {
      id: 'm',
      url: 'http://127.0.0.1:9',
      withId: () => model,
      generate: async () => {
        if (++calls === 1)
          throw fromAnotherCopy('ProviderError', 'RLM_PROVIDER', ['rlm.error', 'rlm.error.provider'], { retryable: true, retryAfterMs: 0 });
        return { text: 'ok', usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 }, finishReason: 'stop', modelId: 'm' };
      },
    };
    const reply = await withRetry(model, { baseDelayMs: 1 }).generate({ messages: [{ role: 'user', content: 'x' }] });
    assert.equal(reply.text, 'ok');
    assert.equal(calls, 2);
  });
});
