import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordedSettings, resolveRunConfig } from '../src/config.ts';
import { createOpenAIModel } from '../src/index.ts';

const model = createOpenAIModel({ model: 'gpt-5', apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' });
const sub = model.withId('gpt-5-mini');

describe('resolveRunConfig', () => {
  it('applies every default once and freezes the result', () => {
    const config = resolveRunConfig({ model });
    assert.equal(config.repl, 'javascript');
    assert.equal(config.maxIterations, 30);
    assert.equal(config.maxDepth, 1);
    assert.equal(config.maxOutputChars, 20_000);
    assert.equal(config.cellTimeoutMs, 60_000);
    assert.equal(config.memoryLimitMb, 1024);
    assert.equal(config.concurrency, 16);
    assert.equal(config.maxConcurrentChildren, 8);
    assert.equal(config.compactAt, 0.8);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits) && Object.isFrozen(config.models));
  });

  it('resolves a model per depth: the root at 0, the sub-model below, one named for a depth over both', () => {
    const deep = model.withId('deep');
    const config = resolveRunConfig({ model, subModel: sub, maxDepth: 2, modelsByDepth: [undefined, undefined, deep] });
    assert.deepEqual(
      config.models.map((m) => m.id),
      ['gpt-5', 'gpt-5-mini', 'deep', 'gpt-5-mini'],
    );
  });

  it('records what it resolved, so that a replay runs with the same values', () => {
    const config = resolveRunConfig({
      model,
      subModel: sub,
      repl: 'python',
      maxIterations: 7,
      memoryLimitMb: 256,
      concurrency: 3,
      maxOutputTokens: 500,
      limits: { maxCalls: 10, maxCostUsd: undefined },
      tools: { search: { description: 'search(q)', run: () => [] } },
    });
    assert.deepEqual(recordedSettings(config), {
      repl: 'python',
      maxIterations: 7,
      maxDepth: 1,
      maxOutputChars: 20_000,
      cellTimeoutMs: 60_000,
      memoryLimitMb: 256,
      concurrency: 3,
      maxConcurrentChildren: 8,
      models: ['gpt-5', 'gpt-5-mini', 'gpt-5-mini'],
      compactAt: 0.8,
      maxOutputTokens: 500,
      limits: { maxCalls: 10 },
      tools: [{ name: 'search', description: 'search(q)' }],
    });
  });

  it('refuses a tool name that is not an identifier or that the REPL already uses', () => {
    assert.throws(
      () => resolveRunConfig({ model, tools: { 'no-dash': { description: '', run: () => 0 } } }),
      /is not a JavaScript identifier/,
    );
    assert.throws(() => resolveRunConfig({ model, tools: { llm_query: { description: '', run: () => 0 } } }), /is taken by the REPL/);
  });
});
