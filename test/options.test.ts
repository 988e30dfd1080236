import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOpenAIModel, RLM, type RLMOptions } from '../src/index.ts';

const model = createOpenAIModel({ model: 'gpt-5-mini', apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' });

describe('options an RLM is given', () => {
  for (const [name, value] of [
    ['cellTimeoutMs', 0],
    ['cellTimeoutMs', -5],
    ['maxIterations', 0],
    ['maxIterations', 2.5],
    ['memoryLimitMb', Number.NaN],
    ['maxDepth', -1],
    ['concurrency', 0],
    ['compactAt', 1.5],
    ['maxOutputChars', Infinity],
  ] as const) {
    it(`refuses ${name}: ${value} when the RLM is made, naming the option`, () => {
      assert.throws(
        () => new RLM({ model, [name]: value } as RLMOptions),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'RLM_USAGE');
          assert.match(error.message, new RegExp(`^${name} must be`));
          return true;
        },
      );
    });
  }

  it('takes sensible values, and maxDepth 0', () => {
    assert.ok(new RLM({ model, cellTimeoutMs: 1, maxDepth: 0, compactAt: 1, maxIterations: 1 }));
  });
});
