/** The rough estimate printed before a bench: what each method reads, priced by the table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateBench } from '../../src/benchmark/estimate.ts';

const priced = { root: { input: 1, cachedInput: 1, output: 10 }, sub: { input: 0.1, cachedInput: 0.1, output: 1 } };
const estimate = (contexts: number[], methods: Parameters<typeof estimateBench>[0]['methods']) =>
  estimateBench({ contexts, methods, model: 'root', subModel: 'sub', windowTokens: 32_000, prices: priced });

describe('estimateBench', () => {
  it('direct reads what fits its window; rlm reads the context once through the sub-model, plus the root turns', () => {
    const direct = estimate([8_000, 1_000_000], ['direct']);
    assert.deepEqual([direct.inputTokens, direct.outputTokens], [40_000, 1_000]);
    assert.ok(Math.abs(direct.costUsd! - (40_000 * 1 + 1_000 * 10) / 1e6) < 1e-12);
    const rlm = estimate([1_000_000], ['rlm']);
    assert.equal(rlm.inputTokens, 60_000 + 1_000_000);
    assert.equal(rlm.outputTokens, 8_000 + 20_000);
    assert.ok(Math.abs(rlm.costUsd! - (60_000 * 1 + 8_000 * 10 + 1_000_000 * 0.1 + 20_000 * 1) / 1e6) < 1e-12);
  });

  it('summary reads a long context in window-sized parts with notes; one that fits, directly', () => {
    assert.equal(estimate([16_000], ['summary']).inputTokens, 16_000);
    // 1M tokens in 32 parts of 32K: the parts and the notes carried, then the notes to the root.
    assert.equal(estimate([1_000_000], ['summary']).inputTokens, 1_000_000 + 32 * 2_000 + 2_000);
  });

  it('sums over instances and methods; a model without a price makes the cost unknown', () => {
    const one = estimate([131_000], ['rlm', 'retrieval']);
    const three = estimate([131_000, 131_000, 131_000], ['rlm', 'retrieval']);
    assert.equal(three.inputTokens, 3 * one.inputTokens);
    assert.equal(
      estimateBench({ contexts: [8_000], methods: ['direct'], model: 'unknown-model', subModel: 'sub', windowTokens: 32_000 }).costUsd,
      undefined,
    );
  });
});
