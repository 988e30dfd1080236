import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOpenAIModel, RLM, type RlmEvent } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedRequest, type ScriptedReply } from '../../src/testing/index.ts';

/** A server whose replies depend on the model, which names the depth: d0 (root) ... d3 (leaves). */
async function depthServer(byModel: Record<string, (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>>) {
  return startScriptedServer({ script: (request) => byModel[request.model]!(request) });
}

function depthModels(url: string) {
  return ['d0', 'd1', 'd2', 'd3'].map((id) => createOpenAIModel({ model: id, baseURL: url }));
}

describe('recursion to depth 3', () => {
  it('root starts two children, each starts a grandchild; every level has its own REPL; the answer comes back up', async () => {
    const server = await depthServer({
      d0: byTurn([
        repl(
          "const secret0 = 'root';\nconst answers = await rlm_query_batched(['child A', 'child B'], ['ctx-A', 'ctx-B']);\nprint(answers)",
        ),
        repl("FINAL(answers.join(' | ') + ' / ' + typeof secretChild)"),
      ]),
      d1: byTurn([
        repl("const secretChild = context;\nconst g = await rlm_query('grand of ' + context, context + '-g');\nFINAL(context + ':' + g)"),
      ]),
      d2: byTurn([
        repl("const a = await llm_query('leaf ' + context);\nFINAL('leaf(' + a + ') sees ' + typeof secret0 + ' ' + typeof secretChild)"),
      ]),
      d3: (request) => `ok:${request.lastUser}`,
    });
    try {
      const [d0, d1, d2, d3] = depthModels(server.url);
      const events: RlmEvent[] = [];
      const rlm = new RLM({ model: d0!, modelsByDepth: [d0, d1, d2, d3], maxDepth: 3, onEvent: (e) => events.push(e) });
      const result = await rlm.run({ context: 'the root context', query: 'q' });
      assert.equal(result.status, 'done');
      assert.equal(
        result.answer,
        'ctx-A:leaf(ok:leaf ctx-A-g) sees undefined undefined | ctx-B:leaf(ok:leaf ctx-B-g) sees undefined undefined / undefined',
      );
      // Two children at depth 1, two grandchildren at depth 2, each a run of its own.
      const starts = events.filter((e) => e.type === 'run-start').map((e) => e.depth);
      assert.deepEqual(starts.sort(), [0, 1, 1, 2, 2]);
      assert.deepEqual(result.usage.iterationsByDepth, { '0': 2, '1': 2, '2': 2 });

      // Usage rolls up: per model and per depth, to the token, what the server reported.
      for (const [depth, id] of ['d0', 'd1', 'd2', 'd3'].entries()) {
        const served = server.requests.filter((r) => r.model === id);
        const input = served.reduce((n, r) => n + r.usage!.prompt_tokens, 0);
        const output = served.reduce((n, r) => n + r.usage!.completion_tokens, 0);
        assert.equal(result.usage.byModel[id]!.calls, served.length);
        assert.equal(result.usage.byModel[id]!.inputTokens, input);
        assert.equal(result.usage.byModel[id]!.outputTokens, output);
        assert.equal(result.usage.byDepth[String(depth)]!.inputTokens, input);
      }
      assert.equal(result.usage.total.calls, server.requests.length);
    } finally {
      await server.close();
    }
  });

  it('a cost limit reached at depth 2 stops every level, never passed, and still leaves the root its last answer', async () => {
    let leafCalls = 0;
    const server = await depthServer({
      d0: byTurn([repl("const r = await rlm_query('go deep', 'ctx');\nprint(r)"), 'Best I have:\nFINAL(partial answer)']),
      d1: byTurn([repl("const r = await rlm_query('deeper', 'ctx2');\nFINAL(r)")]),
      // Each leaf reads 5,000 tokens and writes 5,000: $0.01 at $1 per million.
      d2: byTurn([
        repl(
          "const many = await llm_query_batched(Array.from({ length: 60 }, (_, i) => 'leaf ' + i + ' ' + 'x'.repeat(20_000)));\nFINAL(many.join(','))",
        ),
      ]),
      d3: () => {
        leafCalls++;
        return { content: 'y'.repeat(20_000), delayMs: 20 };
      },
    });
    const price = { input: 1, cachedInput: 1, output: 1 };
    try {
      const [d0, d1, d2, d3] = depthModels(server.url);
      const rlm = new RLM({
        model: d0!,
        modelsByDepth: [d0, d1, d2, d3],
        maxDepth: 3,
        concurrency: 4,
        limits: { maxCostUsd: 0.15 },
        prices: { d0: price, d1: price, d2: price, d3: price },
      });
      const original = server.requests;
      const result = await rlm.run({ context: 'c', query: 'q' });
      assert.equal(result.status, 'budget');
      assert.equal(result.answer, 'partial answer');
      const last = original.at(-1)!;
      assert.equal(last.model, 'd0');
      assert.match(last.messages.at(-1)!.content, /reached a limit \(cost limit reached/);
      assert.ok(leafCalls > 1 && leafCalls < 60, `stopped the fan-out (${leafCalls} of 60 leaf calls were made)`);

      const spent = original.reduce((sum, r) => sum + (r.usage ? (r.usage.prompt_tokens + r.usage.completion_tokens) / 1e6 : 0), 0);
      assert.ok(Math.abs(result.usage.total.costUsd - spent) < 1e-9, `cost ${result.usage.total.costUsd} = server ${spent}`);
      // Never past the limit, the last answer included.
      assert.ok(spent <= 0.15, `spent ${spent}`);
    } finally {
      await server.close();
    }
  });
});

describe('child RLMs at once', () => {
  it('runs at most maxConcurrentChildren children of a depth at a time, and all of them', async () => {
    let running = 0;
    let most = 0;
    const server = await depthServer({
      d0: byTurn([
        repl(
          "const r = await rlm_query_batched(Array.from({ length: 6 }, (_, i) => 'child ' + i), Array.from({ length: 6 }, (_, i) => 'ctx ' + i));\nFINAL(r.join(','))",
        ),
      ]),
      d1: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 50));
        running--;
        return repl('FINAL(context)');
      },
    });
    try {
      const [d0, d1] = depthModels(server.url);
      const rlm = new RLM({ model: d0!, modelsByDepth: [d0, d1], maxDepth: 2, maxConcurrentChildren: 2 });
      const result = await rlm.run({ context: 'c', query: 'q' });
      assert.equal(result.answer, 'ctx 0,ctx 1,ctx 2,ctx 3,ctx 4,ctx 5');
      assert.equal(most, 2);
    } finally {
      await server.close();
    }
  });
});

describe('a child RLM whose parent cell times out', () => {
  it('ends as cancelled, with its run-end event, and the parent goes on', async () => {
    const events: RlmEvent[] = [];
    const server = await depthServer({
      d0: byTurn([repl("await rlm_query('slow child', 'ctx')"), repl("FINAL('parent went on')")]),
      d1: byTurn([repl('await llm_query("hang")')]),
      d2: () => ({ fail: 'hang' }),
    });
    try {
      const [d0, d1, d2] = depthModels(server.url);
      const rlm = new RLM({ model: d0!, modelsByDepth: [d0, d1, d2], maxDepth: 2, cellTimeoutMs: 400, onEvent: (e) => events.push(e) });
      const result = await rlm.run({ context: 'c', query: 'q' });
      assert.equal(result.answer, 'parent went on');
      // The child's end comes before the root's, however late the child noticed it was stopped.
      const ends = events.flatMap((e) => (e.type === 'run-end' ? [[e.depth, e.status]] : []));
      assert.deepEqual(ends, [
        [1, 'cancelled'],
        [0, 'done'],
      ]);
    } finally {
      await server.close();
    }
  });
});
