/** The client's model as a Model: our conversation mapped to sampling params, its answer back. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSamplingModel, SAMPLING_MODEL_ID, samplingParams, type SamplingParams } from '../../src/mcp/sampling-model.ts';
import { findPrice } from '../../src/models/prices.ts';

describe('the sampling model', () => {
  it('sends the system prompt apart and the conversation in order; reads text, finish and estimated usage', async () => {
    let sent: SamplingParams | undefined;
    const model = createSamplingModel({
      sample: async (params) => {
        sent = params;
        return { model: 'claude-x', stopReason: 'maxTokens', content: { type: 'text', text: 'abcdefgh' } };
      },
    });
    const result = await model.generate({
      messages: [
        { role: 'system', content: 'You are an RLM.' },
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
        { role: 'user', content: 'q2' },
      ],
      maxOutputTokens: 100,
      temperature: 0,
    });
    assert.deepEqual(sent, {
      messages: [
        { role: 'user', content: { type: 'text', text: 'q' } },
        { role: 'assistant', content: { type: 'text', text: 'a' } },
        { role: 'user', content: { type: 'text', text: 'q2' } },
      ],
      systemPrompt: 'You are an RLM.',
      maxTokens: 100,
      temperature: 0,
      includeContext: 'none',
    });
    assert.equal(result.text, 'abcdefgh');
    assert.equal(result.finishReason, 'length');
    assert.equal(result.modelId, 'claude-x');
    assert.deepEqual(result.usage, { inputTokens: 5, cachedInputTokens: 0, outputTokens: 2, estimated: true });
  });

  it('hints a model name but is never priced as it', () => {
    const model = createSamplingModel({ sample: async () => ({ model: 'm', content: [] }), hint: 'gpt-5' });
    assert.equal(model.id, `${SAMPLING_MODEL_ID}:gpt-5`);
    assert.equal(findPrice(model.id), undefined);
    assert.deepEqual(samplingParams({ messages: [{ role: 'user', content: 'x' }] }, 'gpt-5').modelPreferences, {
      hints: [{ name: 'gpt-5' }],
    });
  });

  it('a refusal by the client is a provider error that is not retried', async () => {
    const model = createSamplingModel({
      sample: async () => {
        throw new Error('User rejected sampling request');
      },
    });
    await assert.rejects(
      model.generate({ messages: [{ role: 'user', content: 'x' }] }),
      (error: Error & { code?: string; retryable?: boolean }) => {
        assert.equal(error.code, 'RLM_PROVIDER');
        assert.equal(error.retryable, false);
        assert.match(error.message, /did not answer the sampling request: User rejected/);
        return true;
      },
    );
  });
});
