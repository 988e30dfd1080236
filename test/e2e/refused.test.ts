/**
 * A provider that refuses the key or a configured model will refuse every later call too: the
 * run stops with that error, whichever call met it, instead of model code catching it and the
 * root answering without its sub-calls. A model that model code named itself is only a failed call.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOpenAIModel, RLM } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedReply } from '../../src/testing/index.ts';

const ROOT_CODE = [
  repl("let a;\ntry { a = await llm_query('q') } catch (e) { a = 'caught: ' + e.message }\nprint(a)"),
  repl("FINAL('answered without its sub-call')"),
];

async function runWith(sub: () => ScriptedReply, options: { subModelId?: string; rootCode?: ReturnType<typeof repl>[] } = {}) {
  const root = byTurn(options.rootCode ?? ROOT_CODE);
  const server = await startScriptedServer({ script: (request) => (request.model === 'root' ? root(request) : sub()) });
  try {
    const rlm = new RLM({
      model: createOpenAIModel({ model: 'root', baseURL: server.url }),
      subModel: createOpenAIModel({ model: options.subModelId ?? 'sub', baseURL: server.url }),
    });
    const result = await rlm.run({ context: 'the context', query: 'q' });
    return { result, rootCalls: server.requests.filter((r) => r.model === 'root').length };
  } finally {
    await server.close();
  }
}

describe('a key or a model the provider refuses', () => {
  it('a rejected sub-model ends the run with RLM_MODEL_REJECTED, though model code caught the error', async () => {
    const { result, rootCalls } = await runWith(() => ({ fail: { status: 404, message: 'The model `nope` does not exist' } }), {
      subModelId: 'nope',
    });
    assert.equal(result.status, 'error');
    assert.equal(result.answer, undefined);
    assert.equal(result.error?.code, 'RLM_MODEL_REJECTED');
    assert.match(result.error?.message ?? '', /rejected model "nope" \(404\)/);
    assert.equal(rootCalls, 1, 'the root was not asked again');
  });

  it('a key refused for sub-calls ends the run with RLM_AUTH', async () => {
    const { result } = await runWith(() => ({ fail: { status: 401, message: 'Incorrect API key provided' } }));
    assert.equal(result.status, 'error');
    assert.equal(result.error?.code, 'RLM_AUTH');
  });

  it('a model that model code named itself, rejected, is reported to the model, and the run goes on', async () => {
    const rootCode = [
      repl("let a;\ntry { a = await llm_query('q', { model: 'typo' }) } catch (e) { a = 'caught: ' + e.message }\nprint(a)"),
      repl("FINAL('went on')"),
    ];
    const { result, rootCalls } = await runWith(() => ({ fail: { status: 404, message: 'The model `typo` does not exist' } }), {
      rootCode,
    });
    assert.equal(result.status, 'done');
    assert.equal(result.answer, 'went on');
    assert.equal(rootCalls, 2);
  });

  it("any other failed sub-call (a 400) is the model's to handle, as before", async () => {
    const { result } = await runWith(() => ({ fail: { status: 400, message: 'prompt too long' } }));
    assert.equal(result.status, 'done');
    assert.equal(result.answer, 'answered without its sub-call');
  });
});
