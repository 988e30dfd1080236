/**
 * Runs with the user's tools and with a replaced system prompt, recorded and replayed offline:
 * the tools' results come from the trace (or from the real tools when given), and a call the
 * trace does not have is reported as where the replay left the recorded run.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createOpenAIModel, JsonlTrace, readTrace, replayTrace, RLM, type RlmEvent, type RunSettings, type Tool } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer, type Script } from '../../src/testing/index.ts';
import { buildViewModel } from '../../src/trace/view-model.ts';

async function tempFile(name: string): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'rlm-tools-')), name);
}

/** Records one run over a scripted server into a JSONL trace; the server is gone afterwards. */
async function record(
  script: Script,
  options: { tools?: Record<string, Tool>; systemPrompt?: string; maxDepth?: number },
): Promise<{ path: string; answer: string | undefined }> {
  const server = await startScriptedServer({ script });
  const path = await tempFile('run.jsonl');
  try {
    const trace = new JsonlTrace(path, { context: 'the context' });
    const models = ['root', 'child'].map((id) => createOpenAIModel({ model: id, baseURL: server.url }));
    const rlm = new RLM({ model: models[0]!, modelsByDepth: models, ...options, onEvent: trace.onEvent });
    const result = await rlm.run({ context: 'the context', query: 'q' });
    await trace.close();
    return { path, answer: result.answer };
  } finally {
    await server.close();
  }
}

/** A tool with state: the same arguments give a new answer each time, so order matters. */
function counterTools(calls: string[]): Record<string, Tool> {
  let n = 0;
  return {
    lookup: {
      description: 'lookup(key: string) -> { key, n }',
      run: (key: string) => (calls.push(key), { key, n: ++n }),
    },
    fail: {
      description: 'fail() -> throws',
      run: () => {
        throw new Error('the tool is down');
      },
    },
  };
}

const toolScript = () => {
  const root = byTurn([
    repl("const a = await lookup('x');\nconst b = await lookup('x');\nconst c = await lookup('y');\nprint(JSON.stringify([a, b, c]))"),
    repl(
      "let failed;\ntry { await fail(); } catch (e) { failed = String(e.message ?? e); }\nconst child = await rlm_query('count', 'sub');\nFINAL([failed, child].join(' | '))",
    ),
  ]);
  const child = byTurn([repl("const r = await lookup('child');\nFINAL('child saw ' + r.n)")]);
  return (r: Parameters<Script>[0]) => (r.model === 'root' ? root(r) : child(r));
};

describe('replaying runs with tools', () => {
  it('records every tool call in the JSONL trace and replays it offline from the recorded results, without the tools', async () => {
    const calls: string[] = [];
    const { path, answer } = await record(toolScript(), { tools: counterTools(calls), maxDepth: 2 });
    assert.equal(answer, 'the tool is down | child saw 4');
    assert.deepEqual(calls, ['x', 'x', 'y', 'child']);
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RlmEvent);
    const toolCalls = lines.filter((e) => e.type === 'tool-call');
    assert.deepEqual(
      toolCalls.map((e) => [e.runId, e.name, e.args, e.result ?? null, e.error ?? null]),
      [
        ['r0', 'lookup', ['x'], { key: 'x', n: 1 }, null],
        ['r0', 'lookup', ['x'], { key: 'x', n: 2 }, null],
        ['r0', 'lookup', ['y'], { key: 'y', n: 3 }, null],
        ['r0', 'fail', [], null, 'the tool is down'],
        ['r1', 'lookup', ['child'], { key: 'child', n: 4 }, null],
      ],
    );

    const { result, same, divergence } = await replayTrace(await readTrace(path));
    assert.equal(divergence, undefined);
    assert.equal(result.answer, answer, result.error?.message);
    assert.equal(same, true);
    assert.equal(calls.length, 4, 'the tools did not run again');

    // The viewer shows them, each in the cell that made it.
    const view = buildViewModel(await readTrace(path));
    const cells = view.runs['r0']!.turns.map((t) => t.cells[0]!);
    assert.deepEqual(
      cells[0]!.tools.map((t) => `${t.name}(${t.args.join()}) ${JSON.stringify(t.result)}`),
      ['lookup(x) {"key":"x","n":1}', 'lookup(x) {"key":"x","n":2}', 'lookup(y) {"key":"y","n":3}'],
    );
    assert.deepEqual(
      cells[1]!.tools.map((t) => t.error),
      ['the tool is down'],
    );
    assert.equal(view.runs['r1']!.turns[0]!.cells[0]!.tools[0]!.name, 'lookup');
  });

  it('runs the real tools again when given them', async () => {
    const { path, answer } = await record(toolScript(), { tools: counterTools([]), maxDepth: 2 });
    const calls: string[] = [];
    const { result, same } = await replayTrace(await readTrace(path), { tools: counterTools(calls) });
    assert.equal(result.answer, answer);
    assert.equal(same, true);
    assert.deepEqual(calls, ['x', 'x', 'y', 'child']);
  });

  it('a tool call the trace does not have is where the replay diverged: reported, and the answer is not the same', async () => {
    const { path } = await record(toolScript(), { tools: counterTools([]), maxDepth: 2 });
    const trace = await readTrace(path);
    // As if the code now asked for another key: the recorded call has other arguments.
    const edited = trace.events.map((e) => (e.type === 'tool-call' && e.args[0] === 'y' ? { ...e, args: ['z'] } : e));
    const { same, divergence } = await replayTrace({ ...trace, events: edited });
    assert.equal(same, false);
    assert.equal(divergence?.code, 'RLM_REPLAY_MISMATCH');
    assert.match(divergence?.message ?? '', /called lookup\("y"\), a call the trace does not have/);
  });

  it('replays a run whose system prompt was replaced: from the trace, or given when the trace lacks it', async () => {
    const script = byTurn([repl("FINAL('custom ' + context.length)")]);
    const systemPrompt = 'You are a terse assistant. Use the REPL; end with FINAL(...).';
    const { path, answer } = await record((r) => (r.system === systemPrompt ? script(r) : 'wrong prompt'), { systemPrompt });
    assert.equal(answer, 'custom 11');
    const trace = await readTrace(path);
    const replayed = await replayTrace(trace);
    assert.equal(replayed.result.answer, answer, replayed.result.error?.message);
    assert.equal(replayed.same, true);

    // A trace without the prompt (as from before it was recorded) replays with it given.
    const withoutPrompt = trace.events.map((e) =>
      e.type === 'run-start' && e.settings ? { ...e, settings: withoutSystemPrompt(e.settings) } : e,
    );
    const lacking = await replayTrace({ ...trace, events: withoutPrompt });
    assert.equal(lacking.same, false);
    const given = await replayTrace({ ...trace, events: withoutPrompt }, { systemPrompt });
    assert.equal(given.same, true);
  });

  it('serves concurrent calls in the order they were made, not the order they ended in', async () => {
    // The first call ends last: recorded in order of ending, it would be served second on replay.
    let n = 0;
    const slow: Record<string, Tool> = {
      stamp: {
        description: 'stamp(key: string) -> number',
        run: async () => {
          const mine = ++n;
          await new Promise((resolve) => setTimeout(resolve, mine === 1 ? 200 : 0));
          return mine;
        },
      },
    };
    const script = byTurn([repl("const both = await Promise.all([stamp('k'), stamp('k')]);\nFINAL(both.join(','))")]);
    const { path, answer } = await record(script, { tools: slow });
    assert.equal(answer, '1,2');
    const trace = await readTrace(path);
    const ended = trace.events.filter((e) => e.type === 'tool-call').map((e) => e.result);
    assert.deepEqual(ended, [2, 1], 'the trace has them as they ended');
    const replayed = await replayTrace(trace);
    assert.equal(replayed.result.answer, '1,2');
    assert.equal(replayed.same, true);
  });
});

function withoutSystemPrompt(settings: RunSettings): RunSettings {
  const { systemPrompt: _, ...rest } = settings;
  return rest;
}
