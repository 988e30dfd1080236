/**
 * `rlm bench --traces` writes a trace per run: the RLM's replay, even from a moved folder; a
 * baseline's (a fixed pipeline around plain model calls) is refused in one line that names it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runBaseline } from '../../src/benchmark/baseline.ts';
import { runBenchmark } from '../../src/benchmark/runner.ts';
import { createOpenAIModel, readTrace, replayTrace, type RlmEvent } from 'rlm';
import { generateTask } from '../../src/tasks/index.ts';
import { repl, startScriptedServer } from 'rlm/testing';
import { runCli } from '../cli/support.ts';

describe('replaying rlm bench traces', () => {
  it('replays the RLM run from a moved traces folder; refuses the direct baseline in one line that names it', async () => {
    const task = generateTask('sniah', 2_000, 0, 3);
    // The RLM's root answers in code; the baseline's one prompt gets plain text.
    const server = await startScriptedServer({ script: (r) => (r.system ? repl("FINAL('the answer')") : 'the answer') });
    const dir = await mkdtemp(join(tmpdir(), 'rlm-bench-traces-'));
    try {
      const setup = { model: createOpenAIModel({ model: 'root', baseURL: server.url }) };
      const { rows } = await runBenchmark({
        tasks: [task],
        methods: ['rlm', 'direct'],
        setup,
        resultsPath: join(dir, 'results.jsonl'),
        tracesDir: join(dir, 'traces'),
      });
      assert.deepEqual(
        rows.map((r) => [r.method, r.status]),
        [
          ['rlm', 'done'],
          ['direct', 'done'],
        ],
      );
    } finally {
      await server.close();
    }
    await rename(join(dir, 'traces'), join(dir, 'moved'));
    const rlm = await runCli(['replay', join(dir, 'moved', `${task.id}.rlm.jsonl`)]);
    assert.equal(rlm.code, 0, rlm.stderr);
    assert.equal(rlm.stdout, 'the answer\n');

    const direct = join(dir, 'moved', `${task.id}.direct.jsonl`);
    const start = (await readTrace(direct)).events.find((e) => e.type === 'run-start');
    assert.ok(start?.method, 'the baseline is marked as one');
    const refused = await runCli(['replay', direct]);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, /^rlm: this trace is of (the `direct`|a) baseline of rlm bench, .*replay takes RLM runs/);
    assert.doesNotMatch(refused.stderr, /old|version/);

    // Traces of baselines written before they were marked are told by their shape.
    const lines = (await readFile(direct, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; method?: string });
    const unmarked = join(dir, 'unmarked.jsonl');
    await writeFile(unmarked, lines.map(({ method: _, ...line }) => JSON.stringify(line)).join('\n'));
    await assert.rejects(replayTrace(await readTrace(unmarked)), { message: /^this trace is of a baseline of rlm bench/ });
  });

  it('names the baseline when it is told which; a trace with no settings and turns keeps the old-version message', async () => {
    const server = await startScriptedServer({ script: () => 'plain' });
    const events: Array<RlmEvent & { t: number }> = [];
    try {
      const task = generateTask('sniah', 2_000, 1, 3);
      const setup = {
        model: createOpenAIModel({ model: 'root', baseURL: server.url }),
        onEvent: (e: RlmEvent) => events.push({ ...e, t: 0 }),
      };
      await runBaseline(task, setup, async ({ ask }) => ask('one prompt'), 'summary');
    } finally {
      await server.close();
    }
    const header = { type: 'trace' as const, version: 1, createdAt: '', context: { inline: 'x' } };
    await assert.rejects(replayTrace({ header, events }), {
      message: /^this trace is of the `summary` baseline of rlm bench, a fixed pipeline .*; replay takes RLM runs/,
    });

    // An RLM run from a version that did not record its settings: it had turns.
    const old = [
      { type: 'run-start', runId: 'r0', depth: 0, query: 'q', contextChars: 1, model: 'm', subModel: 'm', t: 0 },
      { type: 'turn-start', runId: 'r0', depth: 0, iteration: 1, t: 1 },
      { type: 'model-call-start', callId: 0, runId: 'r0', depth: 0, kind: 'root', model: 'm', t: 1 },
    ] as Array<RlmEvent & { t: number }>;
    await assert.rejects(replayTrace({ header, events: old }), /was it written by this version\?/);
  });
});
