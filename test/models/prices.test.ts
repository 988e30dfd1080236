import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costOf, findPrice, parsePriceTable } from '../../src/models/prices.ts';

describe('prices', () => {
  it('finds OpenAI, Anthropic, Google and OpenRouter names', () => {
    assert.equal(findPrice('gpt-5')?.input, 1.25);
    assert.equal(findPrice('openai/gpt-5-mini')?.output, 2);
    assert.equal(findPrice('claude-sonnet-4-5-20250929')?.input, 3);
    assert.equal(findPrice('anthropic/claude-sonnet-4.5')?.output, 15);
    assert.equal(findPrice('google/gemini-2.5-flash')?.input, 0.3);
    assert.equal(findPrice('my-local-model'), undefined);
  });

  it('costs uncached, cached, cache-write and output tokens each at its price', () => {
    const price = { input: 3, cachedInput: 0.3, output: 15, cacheWrite: 3.75 };
    const cost = costOf(
      { inputTokens: 1_000_000, cachedInputTokens: 200_000, cacheWriteInputTokens: 100_000, outputTokens: 10_000 },
      price,
    );
    assert.ok(Math.abs(cost - (0.7 * 3 + 0.2 * 0.3 + 0.1 * 3.75 + 0.01 * 15)) < 1e-12);
  });

  it('checks a user price table', () => {
    assert.deepEqual(parsePriceTable({ mine: { input: 1, output: 2 } }, 'p.json'), { mine: { input: 1, cachedInput: 1, output: 2 } });
    assert.throws(() => parsePriceTable({ mine: { input: 'cheap', output: 2 } }, 'p.json'), {
      code: 'RLM_INPUT',
      message: /"mine".input must be a number/,
    });
    assert.throws(() => parsePriceTable([], 'p.json'), { code: 'RLM_INPUT' });
  });
});
