import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callSettings } from '../../src/ai-sdk/call-settings.ts';

const prompt = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'q' }] }];

describe('the AI SDK call settings an RLM honours, and warnings for the rest', () => {
  it('nothing to warn about in a plain call; the AI SDK user-agent is not a header of the caller', () => {
    assert.deepEqual(callSettings({ prompt, headers: { 'user-agent': 'ai/7' }, toolChoice: { type: 'auto' } }), {
      schema: undefined,
      warnings: [],
    });
  });

  it('tools, reasoning effort and sampling settings are reported, each by name', () => {
    const { warnings } = callSettings({
      prompt,
      tools: [{ type: 'function', name: 'search', inputSchema: { type: 'object' } }],
      reasoning: 'high',
      topP: 0.9,
      seed: 1,
      maxOutputTokens: 100,
    });
    assert.deepEqual(
      warnings.map((w) => (w.type === 'unsupported' ? w.feature : w.type)),
      ['maxOutputTokens', 'topP', 'seed', 'tools', 'reasoning'],
    );
  });

  it('a JSON response format is the answer schema; JSON without a schema is any JSON value', () => {
    const schema = { type: 'object', properties: { n: { type: 'number' } } } as const;
    assert.deepEqual(callSettings({ prompt, responseFormat: { type: 'json', schema } }).schema, schema);
    assert.deepEqual(callSettings({ prompt, responseFormat: { type: 'json' } }).schema, {});
    assert.equal(callSettings({ prompt, responseFormat: { type: 'text' } }).schema, undefined);
  });
});
