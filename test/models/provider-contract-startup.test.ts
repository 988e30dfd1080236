/**
 * The start-up side of the provider contract: importing rlm loads no provider SDK (each costs
 * about 0.15 s to load), making a model loads none either, and a model's first call loads its own
 * SDK and no other; the OpenAI-compatible provider speaks its wire over fetch and loads none at
 * all. Checked in a fresh process, watching which packages get resolved.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../support/net.ts';

/** The official SDKs; any `@ai-sdk/` package counts too (fromAiSdk must never load one). */
const SDKS = ['openai', '@anthropic-ai/sdk'];

/** Which SDK packages a fresh process has resolved at each step: import, make the model, call it. */
async function sdksLoaded(create: 'createOpenAIModel' | 'createAnthropicModel'): Promise<Record<string, string[]>> {
  const index = new URL('../../src/index.ts', import.meta.url).href;
  const url = `http://127.0.0.1:${await freePort()}/v1`;
  const script = `
    import { registerHooks } from 'node:module';
    const resolved = new Set();
    registerHooks({ resolve(specifier, context, next) { resolved.add(specifier); return next(specifier, context); } });
    const sdks = () => [...resolved].filter((s) => ${JSON.stringify(SDKS)}.includes(s) || s.startsWith('@ai-sdk/'));
    const steps = {};
    const rlm = await import(${JSON.stringify(index)});
    steps.imported = sdks();
    const model = rlm.${create}({ model: 'm', baseURL: ${JSON.stringify(url)} });
    steps.made = sdks();
    await model.generate({ messages: [{ role: 'user', content: 'q' }] }).catch(() => {}); // nothing listens: only the loading matters
    steps.called = sdks();
    console.log(JSON.stringify(steps));
  `;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
  return JSON.parse(stdout) as Record<string, string[]>;
}

describe('provider SDKs load only when a provider is first called', () => {
  it('no SDK at all for an OpenAI-compatible model, even on its first call', async () => {
    assert.deepEqual(await sdksLoaded('createOpenAIModel'), { imported: [], made: [], called: [] });
  });

  it("the Anthropic SDK, and only it, on an Anthropic model's first call", async () => {
    assert.deepEqual(await sdksLoaded('createAnthropicModel'), { imported: [], made: [], called: ['@anthropic-ai/sdk'] });
  });
});
