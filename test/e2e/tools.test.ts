import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOpenAIModel, RLM, RlmError } from '../../src/index.ts';
import { repl } from '../../src/testing/index.ts';
import { lastUser, scriptedRun } from './support.ts';

describe('custom tools', () => {
  it('are called from a cell with JSON arguments, return JSON, and are listed in the system prompt', async () => {
    const seen: unknown[][] = [];
    const run = await scriptedRun(
      [repl("const hits = await search('oak', { limit: 2 });\nprint(hits)"), repl("FINAL(hits.map((h) => h.id).join(','))")],
      {
        tools: {
          search: {
            description: 'search(query: string, { limit }) -> [{ id, text }] passages that mention the query',
            run: async (query: string, options: { limit: number }) => {
              seen.push([query, options]);
              await new Promise((r) => setTimeout(r, 10));
              return [
                { id: 'p1', text: `about ${query}` },
                { id: 'p2', text: 'more' },
              ].slice(0, options.limit);
            },
          },
        },
      },
    );
    try {
      const result = await run.rlm.run({ context: 'the old oak', query: 'q' });
      assert.equal(result.answer, 'p1,p2');
      assert.deepEqual(seen, [['oak', { limit: 2 }]]);
      assert.match(run.rootRequests()[0]!.messages[0]!.content, /`search`: search\(query: string, \{ limit \}\)/);
      assert.match(lastUser(run.rootRequests()[1]!), /id: 'p1', text: 'about oak'/);
    } finally {
      await run.close();
    }
  });

  it('a tool that throws gives the cell an error it can catch', async () => {
    const run = await scriptedRun([repl("try { await lookup(1) } catch (e) { print('caught: ' + e.message) }"), repl("FINAL('ok')")], {
      tools: { lookup: { description: 'lookup(id)', run: () => Promise.reject(new Error('no such id')) } },
    });
    try {
      await run.rlm.run({ context: 'c', query: 'q' });
      assert.match(lastUser(run.rootRequests()[1]!), /caught: no such id/);
    } finally {
      await run.close();
    }
  });

  it('a tool name that is not an identifier, or shadows the REPL, is refused when the RLM is made', () => {
    const model = createOpenAIModel({ model: 'root', apiKey: 'unused', baseURL: 'http://127.0.0.1:9/v1' });
    for (const name of ['my-tool', 'llm_query', 'print']) {
      assert.throws(
        () => new RLM({ model, tools: { [name]: { description: 'x', run: () => 1 } } }),
        (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_USAGE' && e.message.includes(`"${name}"`),
      );
    }
  });
});
