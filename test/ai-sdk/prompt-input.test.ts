import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LanguageModelV4Prompt } from '@ai-sdk/provider';
import { promptRun } from '../../src/ai-sdk/prompt-input.ts';

const user = (text: string) => ({ role: 'user' as const, content: [{ type: 'text' as const, text }] });
const assistant = (text: string) => ({ role: 'assistant' as const, content: [{ type: 'text' as const, text }] });
const file = (text: string, filename?: string) => ({
  type: 'file' as const,
  data: { type: 'data' as const, data: new TextEncoder().encode(text) },
  mediaType: 'text/markdown',
  ...(filename ? { filename } : {}),
});

describe('an AI SDK prompt as a run: the question, and the material as the context', () => {
  it('the question alone: an empty context', async () => {
    assert.deepEqual(await promptRun([user('What is 2 + 2?')], undefined), { query: 'What is 2 + 2?', context: '' });
  });

  it("earlier turns and files are a list in order, each saying what it was; the model's reasoning is left out", async () => {
    const prompt: LanguageModelV4Prompt = [
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: [{ type: 'text', text: 'Look at this.' }, file('# Notes', 'notes.md')] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'turn 1/30 ...' },
          { type: 'text', text: 'Seen.' },
        ],
      },
      { role: 'user', content: [file('inline', undefined), { type: 'text', text: 'Summarise.' }] },
    ];
    assert.deepEqual(await promptRun(prompt, undefined), {
      query: 'Instructions:\nBe terse.\n\nQuestion: Summarise.',
      context: ['user:\nLook at this.', 'file notes.md:\n# Notes', 'assistant:\nSeen.', 'file (text/markdown):\ninline'],
    });
  });

  it('text given as a file is read as it is', async () => {
    const prompt: LanguageModelV4Prompt = [
      {
        role: 'user',
        content: [
          { type: 'file', data: { type: 'text', text: 'inline document' }, mediaType: 'text/plain' },
          { type: 'text', text: 'q' },
        ],
      },
    ];
    assert.deepEqual(await promptRun(prompt, undefined), { query: 'q', context: 'inline document' });
  });

  it('refuses tool calls and results, a URL, and a question without text', async () => {
    const withTool: LanguageModelV4Prompt = [
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: '1', toolName: 'search', input: {} }] },
      user('q'),
    ];
    await assert.rejects(promptRun(withTool, undefined), /^RlmError: message 1 has a tool-call part: rlmModel reads text and files only$/);
    const withUrl: LanguageModelV4Prompt = [
      {
        role: 'user',
        content: [
          { type: 'file', data: { type: 'url', url: new URL('https://example.com/a.txt') }, mediaType: 'text/plain' },
          { type: 'text', text: 'q' },
        ],
      },
    ];
    await assert.rejects(promptRun(withUrl, undefined), /is a URL \(https:\/\/example\.com\/a\.txt\): pass the file's content instead/);
    await assert.rejects(promptRun([user('  ')], undefined), /the last user message has no text: rlmModel takes it as the question/);
  });

  it('a fixed context is the context whatever the prompt holds', async () => {
    const run = await promptRun([user('first'), assistant('reply'), user('second')], ['doc a', 'doc b']);
    assert.deepEqual(run, {
      query: 'The conversation so far:\nuser: first\n\nassistant: reply\n\nQuestion: second',
      context: ['doc a', 'doc b'],
    });
  });
});
