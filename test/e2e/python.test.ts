/**
 * The needle and aggregation runs of test/e2e, written in Python as the paper's models write
 * them, through `repl: 'python'`: CPython on Pyodide in its own REPL process, real HTTP sub-calls.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createOpenAIModel, PythonSandbox, RLM, type RlmEvent } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedReply, type ScriptedRequest } from '../../src/testing/index.ts';
import { haystack, labelChunk, labelledRecords } from './support.ts';

after(() => PythonSandbox.coolDown());

describe('Python REPL: needle in a 10 MB context', () => {
  it('peeks, searches with re, confirms with batched sub-calls and answers from a variable', async () => {
    const context = haystack();
    assert.ok(context.length >= 10_000_000);
    const root = byTurn([
      repl('print(len(context))\nprint(context[:300])', 'First, a look at the context.'),
      repl(
        `import re
matches = [(m.group(1), context[max(0, m.start() - 120):m.start() + 120]) for m in re.finditer(r'secret code is ([\\w-]+)', context)]
print(len(matches), 'candidates:', [code for code, _ in matches])`,
      ),
      repl(
        `verdicts = llm_query_batched(['Does this passage state the real secret code (not a decoy)? Reply YES or NO.\\n\\n' + around for _, around in matches])
answer = matches[verdicts.index('YES')][0]
verdicts`,
      ),
      repl('FINAL_VAR("answer")'),
    ]);
    const server = await startScriptedServer({
      script: (request) =>
        request.model === 'root' ? root(request) : /decoy/i.test(request.lastUser.split('\n\n')[1] ?? '') ? 'NO' : 'YES',
    });
    try {
      const rlm = new RLM({
        repl: 'python',
        model: createOpenAIModel({ model: 'root', baseURL: server.url }),
        subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
      });
      const result = await rlm.run({ context, query: 'What is the secret code?' });
      assert.equal(result.status, 'done', JSON.stringify(result));
      assert.equal(result.answer, '48291-ALPHA');
      const rootRequests = server.requests.filter((r) => r.model === 'root');
      assert.equal(rootRequests.length, 4);
      assert.equal(server.requests.filter((r) => r.model === 'sub').length, 3);
      for (const request of rootRequests) {
        const chars = request.messages.reduce((n, m) => n + m.content.length, 0);
        assert.ok(chars < 50_000, `a root request carried ${chars} characters`);
      }
      // The Python system prompt, and Python's own output.
      assert.match(rootRequests[0]!.messages[0]!.content, /llm_query_batched\(prompts, model=None\)/);
      assert.match(rootRequests[2]!.messages.at(-1)!.content, /3 candidates: \['11111-DECOY', '48291-ALPHA', '22222-DECOY'\]/);
      assert.match(rootRequests[3]!.messages.at(-1)!.content, /\['NO', 'YES', 'NO'\]/);
    } finally {
      await server.close();
    }
  });
});

describe('Python REPL: aggregation over 2,400 labelled lines', () => {
  it('starts 120 sub-calls from one llm_query_batched, overlapped but never past the limit, and counts right', async () => {
    const { lines, truth } = labelledRecords();
    const root = byTurn([
      repl("rows = context.split('\\n')\nprint(len(rows), rows[:3])"),
      repl(
        `import json
from collections import Counter
chunks = ['\\n'.join(rows[i:i + 20]) for i in range(0, len(rows), 20)]
answers = llm_query_batched(['Label each line as praise, complaint or question; return JSON counts.\\n' + c for c in chunks])
totals = Counter()
for a in answers:
    totals.update(json.loads(a))
print(len(chunks), 'chunks', dict(totals))`,
      ),
      // An answer is str(value), as in Python: JSON is asked for by name.
      repl('FINAL(json.dumps(dict(totals)))'),
    ]);
    const server = await startScriptedServer({
      script: (request) => (request.model === 'root' ? root(request) : { content: labelChunk(request.lastUser), delayMs: 20 }),
    });
    try {
      const rlm = new RLM({
        repl: 'python',
        model: createOpenAIModel({ model: 'root', baseURL: server.url }),
        subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
        concurrency: 8,
      });
      const result = await rlm.run({ context: lines.join('\n'), query: 'How many records of each label?' });
      assert.equal(result.status, 'done', JSON.stringify(result));
      assert.deepEqual(JSON.parse(result.answer!), truth);
      assert.equal(server.requests.filter((r) => r.model === 'sub').length, 120);
      assert.ok(server.maxInFlight > 1, 'sub-calls overlapped');
      assert.ok(server.maxInFlight <= 8, `at most 8 in flight, saw ${server.maxInFlight}`);
      assert.equal(result.usage.byModel.sub!.calls, 120);
    } finally {
      await server.close();
    }
  });
});

describe('Python REPL: child RLMs', () => {
  it('root starts two Python children at once, each starts a grandchild; every level has its own interpreter', async () => {
    const models: Record<string, (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>> = {
      d0: byTurn([
        repl("secret0 = 'root'\nanswers = rlm_query_batched(['child A', 'child B'], ['ctx-A', 'ctx-B'])\nprint(answers)"),
        repl("FINAL(' | '.join(answers) + ' / ' + str('secret_child' in globals()))"),
      ]),
      d1: byTurn([repl("secret_child = context\ng = rlm_query('grand of ' + context, context + '-g')\nFINAL(context + ':' + g)")]),
      d2: byTurn([
        repl("a = llm_query('leaf ' + context)\nFINAL(f\"leaf({a}) sees {'secret0' in globals()} {'secret_child' in globals()}\")"),
      ]),
      d3: (request) => `ok:${request.lastUser}`,
    };
    const server = await startScriptedServer({ script: (request) => models[request.model]!(request) });
    try {
      const [d0, d1, d2, d3] = ['d0', 'd1', 'd2', 'd3'].map((id) => createOpenAIModel({ model: id, baseURL: server.url }));
      const events: RlmEvent[] = [];
      const rlm = new RLM({ repl: 'python', model: d0!, modelsByDepth: [d0, d1, d2, d3], maxDepth: 3, onEvent: (e) => events.push(e) });
      const result = await rlm.run({ context: 'the root context', query: 'q' });
      assert.equal(result.status, 'done', JSON.stringify(result));
      assert.equal(result.answer, 'ctx-A:leaf(ok:leaf ctx-A-g) sees False False | ctx-B:leaf(ok:leaf ctx-B-g) sees False False / False');
      assert.deepEqual(
        events
          .filter((e) => e.type === 'run-start')
          .map((e) => e.depth)
          .sort(),
        [0, 1, 1, 2, 2],
      );
      // The two children ran at once: their runs overlap in time.
      const spans = events.flatMap((e) => (e.type === 'run-start' && e.depth === 1 ? [e.runId] : []));
      const ends = new Map(events.flatMap((e, i) => (e.type === 'run-end' ? [[e.runId, i] as const] : [])));
      const startsAt = new Map(events.flatMap((e, i) => (e.type === 'run-start' ? [[e.runId, i] as const] : [])));
      assert.ok(startsAt.get(spans[1]!)! < ends.get(spans[0]!)!, 'the second child started before the first ended');
    } finally {
      await server.close();
    }
  });
});

describe('Python REPL: a child RLM still starting when its parent cell times out', () => {
  // A Python REPL takes longer to start than this cell may run, so the parent goes on while its
  // child is still starting: the run must still end the child, and report it, before its own end.
  it('ends as cancelled before the root ends, and the parent goes on', async () => {
    const models: Record<string, (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>> = {
      d0: byTurn([repl("rlm_query('slow child', 'ctx')"), repl("FINAL('parent went on')")]),
      d1: byTurn([repl("FINAL('the child finished')")]),
    };
    const server = await startScriptedServer({ script: (request) => models[request.model]!(request) });
    try {
      const [d0, d1] = ['d0', 'd1'].map((id) => createOpenAIModel({ model: id, baseURL: server.url }));
      const events: RlmEvent[] = [];
      const rlm = new RLM({
        repl: 'python',
        model: d0!,
        modelsByDepth: [d0, d1],
        maxDepth: 2,
        cellTimeoutMs: 300,
        onEvent: (e) => events.push(e),
      });
      const result = await rlm.run({ context: 'c', query: 'q' });
      assert.equal(result.answer, 'parent went on');
      const ends = events.flatMap((e) => (e.type === 'run-end' ? [e] : []));
      assert.deepEqual(
        ends.map((e) => [e.depth, e.status]),
        [
          [1, 'cancelled'],
          [0, 'done'],
        ],
      );
    } finally {
      await server.close();
    }
  });
});
