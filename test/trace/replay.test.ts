import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createOpenAIModel, JsonlTrace, PythonSandbox, readTrace, replayTrace, RLM, type RlmEvent } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';
import { runCli } from '../cli/support.ts';

after(() => PythonSandbox.coolDown());

async function tempFile(name: string): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'rlm-trace-')), name);
}

/** The shape of a run's tree: who started, in which order, with which code. */
function treeOf(events: readonly RlmEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type === 'run-start') return [`run ${e.runId} <- ${e.parentRunId ?? '-'} d${e.depth}`];
    if (e.type === 'cell-start') return [`cell ${e.runId} ${e.iteration}.${e.index}: ${e.code}`];
    if (e.type === 'run-end') return [`end ${e.runId} ${e.status} ${e.answer}`];
    return [];
  });
}

describe('trace and replay', () => {
  it('replays a recorded run — concurrent sub-calls and a child RLM — to the same answer and tree, with no server', async () => {
    const root = byTurn([
      repl("const parts = await llm_query_batched(['alpha', 'beta', 'gamma', 'delta']);\nprint(parts)"),
      repl("const deep = await rlm_query('summarise', parts.join(' '));\nFINAL(deep + ' / ' + parts.length)"),
    ]);
    const child = byTurn([repl("const s = await llm_query('short: ' + context);\nFINAL(s)")]);
    const server = await startScriptedServer({
      // Depth 1 serves both the child RLM (it has a system prompt) and the root's plain sub-calls.
      script: (r) =>
        r.model === 'root' ? root(r) : r.system ? child(r) : { content: `<${r.lastUser}>`, delayMs: 10 + (r.lastUser.length % 4) * 7 },
    });
    const path = await tempFile('run.jsonl');
    const context = 'some context\n'.repeat(50);
    const recorded: RlmEvent[] = [];
    let original;
    try {
      const trace = new JsonlTrace(path, { context });
      const models = ['root', 'child', 'leaf'].map((id) =>
        createOpenAIModel({ model: id, baseURL: server.url, apiKey: 'sk-test-SECRET-123' }),
      );
      original = await new RLM({
        model: models[0]!,
        modelsByDepth: models,
        maxDepth: 2,
        onEvent: (e) => (recorded.push(e), trace.onEvent(e)),
      }).run({ context, query: 'q' });
      await trace.close();
    } finally {
      await server.close();
    }
    assert.equal(original.answer, '<short: <alpha> <beta> <gamma> <delta>> / 4');
    const text = await readFile(path, 'utf8');
    assert.ok(!text.includes('sk-test-SECRET-123'), 'no API key in the trace');

    // The server is gone: the replay answers from the trace alone.
    const replayed: RlmEvent[] = [];
    const { result, same, recorded: ended } = await replayTrace(await readTrace(path), { onEvent: (e) => replayed.push(e) });
    assert.equal(result.answer, original.answer);
    assert.equal(same, true);
    assert.equal(ended?.status, 'done');
    assert.deepEqual(treeOf(replayed), treeOf(recorded));
    assert.deepEqual(result.usage.byDepth, original.usage.byDepth);
  });

  it('replays a Python run in the Python REPL, the language read from the trace', async () => {
    const root = byTurn([
      repl("parts = llm_query_batched(['alpha', 'beta'])\nprint(parts)"),
      repl("FINAL(' + '.join(parts) + f' over {len(context)} chars')"),
    ]);
    const server = await startScriptedServer({ script: (r) => (r.model === 'root' ? root(r) : `<${r.lastUser}>`) });
    const path = await tempFile('python.jsonl');
    const context = 'python context\n'.repeat(20);
    let original;
    try {
      const trace = new JsonlTrace(path, { context });
      const model = createOpenAIModel({ model: 'root', baseURL: server.url });
      const subModel = createOpenAIModel({ model: 'sub', baseURL: server.url });
      original = await new RLM({ repl: 'python', model, subModel, onEvent: (e) => trace.onEvent(e) }).run({ context, query: 'q' });
      await trace.close();
    } finally {
      await server.close();
    }
    assert.equal(original.answer, '<alpha> + <beta> over 300 chars');
    const { result, same } = await replayTrace(await readTrace(path));
    assert.equal(result.answer, original.answer);
    assert.equal(same, true);
  });

  it('a trace grows linearly: 200 turns and 5,000 sub-calls, sizes at turn 50 and at the end', async () => {
    const turns = 200;
    const server = await startScriptedServer({
      script: (r) => {
        if (r.model !== 'root') return `ok ${r.lastUser.length}`;
        const turn = r.messages.filter((m) => m.role === 'assistant').length;
        if (turn >= turns - 1) return repl("FINAL('done')");
        return repl(
          `const r${turn} = await llm_query_batched(Array.from({ length: 25 }, (_, i) => 'item ' + i + ' of turn ${turn}'));\nprint(r${turn}.length)`,
        );
      },
    });
    const path = await tempFile('long.jsonl');
    const key = 'sk-live-DO-NOT-WRITE-ME';
    try {
      const trace = new JsonlTrace(path, { context: 'x'.repeat(100_000) });
      let sizeAt50 = 0;
      let written = 0;
      const onEvent = (e: RlmEvent) => {
        trace.onEvent(e);
        written += JSON.stringify(e).length + 12;
        if (e.type === 'turn-start' && e.iteration === 50) sizeAt50 = written;
      };
      const rlm = new RLM({
        model: createOpenAIModel({ model: 'root', baseURL: server.url, apiKey: key }),
        subModel: createOpenAIModel({ model: 'sub', baseURL: server.url, apiKey: key }),
        maxIterations: turns,
        onEvent,
      });
      const result = await rlm.run({ context: 'x'.repeat(100_000), query: 'q' });
      await trace.close();
      assert.equal(result.answer, 'done');
      assert.equal(result.usage.byDepth['1']!.calls, 25 * (turns - 1));
      const text = await readFile(path, 'utf8');
      assert.ok(!text.includes(key));
      // The 100,000-character context is in the header once, not in any later line.
      assert.equal(text.split('x'.repeat(1000)).length - 1, 100);
      const ratio = (written - sizeAt50) / sizeAt50;
      // 150 more turns after the first 50: linear growth gives about 3 times as many bytes.
      assert.ok(ratio > 2.5 && ratio < 3.5, `bytes after turn 50 / bytes before: ${ratio.toFixed(2)}`);
    } finally {
      await server.close();
    }
  });

  it('rlm ask --trace, then rlm replay, gives the same answer offline; a broken trace is refused in one line', async () => {
    const root = byTurn([repl("const a = await llm_query('hello');\nFINAL(a + '!')")]);
    const server = await startScriptedServer({ script: (r) => (r.model === 'r' ? root(r) : 'world') });
    const path = await tempFile('cli.jsonl');
    const book = await tempFile('book.txt');
    await writeFile(book, 'a small book');
    try {
      const run = await runCli([
        'ask',
        '-q',
        '--trace',
        path,
        '-c',
        book,
        '--base-url',
        server.url,
        '--model',
        'r',
        '--sub-model',
        's',
        'q',
      ]);
      assert.equal(run.stdout, 'world!\n', run.stderr);
    } finally {
      await server.close();
    }
    const header = JSON.parse((await readFile(path, 'utf8')).split('\n')[0]!) as { context: { file?: string; sha256?: string } };
    assert.equal(header.context.file, book, 'one context file is stored by reference');
    const replayed = await runCli(['replay', path]);
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.equal(replayed.stdout, 'world!\n');
    assert.match(replayed.stderr, /same answer as recorded/);

    await writeFile(book, 'the book changed');
    const changed = await runCli(['replay', path]);
    assert.equal(changed.code, 2);
    assert.match(changed.stderr, /^rlm: the context file .* has changed since the trace was written/);
    const bad = await tempFile('bad.jsonl');
    await writeFile(bad, 'not json\n');
    const broken = await runCli(['replay', bad]);
    assert.equal(broken.code, 2);
    assert.equal(broken.stderr.trim().split('\n').length, 1);
  });
});
