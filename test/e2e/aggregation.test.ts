import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAIModel, RLM } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedModelServer } from '../../src/testing/index.ts';
import { labelChunk, labelledRecords } from './support.ts';

describe('aggregation over 2,400 labelled lines', () => {
  let server: ScriptedModelServer;
  const { lines, truth } = labelledRecords();
  before(async () => {
    const root = byTurn([
      repl("const rows = context.split('\\n');\nprint(rows.length, rows.slice(0, 3));"),
      repl(
        `const chunks = [];
for (let i = 0; i < rows.length; i += 20) chunks.push(rows.slice(i, i + 20).join('\\n'));
const answers = await llm_query_batched(chunks.map((c) => 'Label each line as praise, complaint or question; return JSON counts.\\n' + c));
const totals = { praise: 0, complaint: 0, question: 0 };
for (const a of answers) for (const [k, v] of Object.entries(JSON.parse(a))) totals[k] += v;
print(chunks.length, 'chunks', totals);`,
      ),
      repl('FINAL(totals)'),
    ]);
    server = await startScriptedServer({
      script: (request) => (request.model === 'root' ? root(request) : { content: labelChunk(request.lastUser), delayMs: 20 }),
    });
  });
  after(() => server.close());

  it('starts 120 sub-calls from one cell, overlapped but never past the limit, and counts right', async () => {
    const rlm = new RLM({
      model: createOpenAIModel({ model: 'root', baseURL: server.url }),
      subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
      concurrency: 8,
    });
    const result = await rlm.run({ context: lines.join('\n'), query: 'How many records of each label?' });
    assert.equal(result.status, 'done');
    assert.deepEqual(JSON.parse(result.answer!), truth);
    const subs = server.requests.filter((r) => r.model === 'sub');
    assert.equal(subs.length, 120);
    assert.ok(server.maxInFlight > 1, 'sub-calls overlapped');
    assert.ok(server.maxInFlight <= 8, `at most 8 in flight, saw ${server.maxInFlight}`);
    assert.equal(result.usage.byModel.sub!.calls, 120);
    assert.equal(result.usage.total.calls, 123);
    const served = server.requests.reduce((n, r) => n + (r.usage?.prompt_tokens ?? 0), 0);
    assert.equal(result.usage.total.inputTokens, served);
  });
});
