import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createOpenAIModel, MemoStore, RLM, withMemo } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';

async function freshDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rlm-memo-'));
}

describe('the memo of sub-calls', () => {
  it('a second identical run makes no sub-call requests and reports the hits and savings', async () => {
    const root = byTurn([repl("const a = await llm_query_batched(['one', 'two', 'three']);\nFINAL(a.join(' '))")]);
    const server = await startScriptedServer({
      script: (r) => (r.model === 'root' ? root(r) : { content: `sub:${r.lastUser}`, usage: { promptTokens: 10, completionTokens: 5 } }),
    });
    const dir = await freshDir();
    try {
      const runOnce = async () => {
        const store = new MemoStore(dir);
        try {
          const rlm = new RLM({
            model: createOpenAIModel({ model: 'root', baseURL: server.url }),
            subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
            memo: { store },
          });
          return await rlm.run({ context: 'c', query: 'q' });
        } finally {
          store.close();
        }
      };
      const first = await runOnce();
      const subsAfterFirst = server.requests.filter((r) => r.model === 'sub').length;
      const second = await runOnce();
      assert.equal(subsAfterFirst, 3);
      assert.equal(server.requests.filter((r) => r.model === 'sub').length, 3, 'no new sub-call requests');
      assert.equal(second.answer, first.answer);
      assert.deepEqual(first.usage.memo, { hits: 0, savedInputTokens: 0, savedOutputTokens: 0, savedCostUsd: 0 });
      assert.deepEqual(second.usage.memo, { hits: 3, savedInputTokens: 30, savedOutputTokens: 15, savedCostUsd: 0 });
      assert.equal(second.usage.byModel.sub, undefined, 'hits are not booked as calls');
    } finally {
      await server.close();
    }
  });

  it('leaves sampled requests (temperature > 0) alone unless asked', async () => {
    let n = 0;
    const server = await startScriptedServer({ script: () => `answer ${++n}` });
    const store = new MemoStore(await freshDir());
    try {
      const base = createOpenAIModel({ model: 'm', baseURL: server.url });
      const messages = [{ role: 'user' as const, content: 'same' }];
      const plain = withMemo(base, store);
      assert.equal((await plain.generate({ messages, temperature: 0.7 })).text, 'answer 1');
      assert.equal((await plain.generate({ messages, temperature: 0.7 })).text, 'answer 2');
      assert.equal((await plain.generate({ messages, temperature: 0 })).text, 'answer 3');
      assert.equal((await plain.generate({ messages, temperature: 0 })).text, 'answer 3');
      const sampled = withMemo(base, store, { includeSampled: true });
      assert.equal((await sampled.generate({ messages, temperature: 0.7 })).text, 'answer 4');
      assert.equal((await sampled.generate({ messages, temperature: 0.7 })).text, 'answer 4');
      // Another model, or other messages, are other requests.
      assert.equal((await withMemo(base.withId('other'), store).generate({ messages, temperature: 0 })).text, 'answer 5');
    } finally {
      store.close();
      await server.close();
    }
  });

  it('refuses a cache folder it cannot create, in one line', async () => {
    const file = join(await freshDir(), 'a-file');
    await writeFile(file, 'not a folder');
    assert.throws(() => new MemoStore(join(file, 'rlm')), { code: 'RLM_USAGE', message: /^cannot open the cache in .*a-file\/rlm: / });
  });
});
