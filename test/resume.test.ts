import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createOpenAIModel, JsonlTrace, readTrace, replayTrace, RLM, type RlmEvent } from '../src/index.ts';
import { byTurn, repl, startScriptedServer, type ScriptedRequest } from '../src/testing/index.ts';
import { BIN, runCli } from './cli/support.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rlm-resume-'));
}

/** A request as the server saw it, to tell the same request asked twice. */
function requestKey(r: { model: string; messages: Array<{ role: string; content: string }> }): string {
  return JSON.stringify([r.model, r.messages.map((m) => [m.role, m.content])]);
}

const FAN_OUT = 200;

/** A root that fans out to FAN_OUT sub-calls, then counts them in a second turn. */
function fanOutScript(delayMs: number) {
  const root = byTurn([
    repl(`const parts = await llm_query_batched(Array.from({ length: ${FAN_OUT} }, (_, i) => 'part ' + i));\nprint(parts.length)`),
    repl("FINAL(parts.filter((p) => p.startsWith('<')).length + ' parts: ' + parts[0] + ' ... ' + parts.at(-1))"),
  ]);
  return (r: ScriptedRequest) => (r.model === 'root' ? root(r) : { content: `<${r.lastUser}>`, delayMs });
}

describe('resume', () => {
  it('goes on from a run a call limit stopped: recorded replies are not asked again and count against the limits', async () => {
    const server = await startScriptedServer({ script: fanOutScript(5) });
    const dir = await tempDir();
    const path = join(dir, 'run.jsonl');
    const context = 'the context\n'.repeat(10);
    const model = (id: string) => createOpenAIModel({ model: id, baseURL: server.url, apiKey: 'k' });
    try {
      const trace = new JsonlTrace(path, { context });
      const options = { model: model('root'), subModel: model('leaf'), concurrency: 4 };
      const stopped = await new RLM({ ...options, limits: { maxCalls: 60 }, onEvent: trace.onEvent }).run({ context, query: 'count' });
      await trace.close();
      assert.equal(stopped.status, 'budget');
      assert.equal(stopped.answer, undefined);
      const before = server.requests.length;
      const seen = new Set(server.requests.map(requestKey));

      const again = new JsonlTrace(path, { context, resume: true });
      const events: RlmEvent[] = [];
      const resumed = await new RLM({
        ...options,
        limits: { maxCalls: 1000 },
        onEvent: (e) => (events.push(e), again.onEvent(e)),
      }).resume(await readTrace(path));
      await again.close();

      assert.equal(resumed.status, 'done');
      assert.equal(resumed.answer, `${FAN_OUT} parts: <part 0> ... <part ${FAN_OUT - 1}>`);
      const after = server.requests.slice(before);
      for (const request of after) assert.ok(!seen.has(requestKey(request)), `asked again: ${request.messages.at(-1)?.content}`);
      // The whole run: one root turn, the fan-out, the last turn; the earlier attempt's calls count too.
      assert.equal(resumed.usage.total.calls, FAN_OUT + 2);
      assert.equal(before + after.length, FAN_OUT + 2 + 1, 'and the stopped run had asked its last-answer request once');
      const fromTrace = events.filter((e) => e.type === 'model-call-end' && e.recorded).length;
      assert.ok(fromTrace > 0 && fromTrace === before - 1, `${fromTrace} replies came from the trace`);

      // The trace now holds both attempts: it replays offline to the same answer...
      const replayed = await replayTrace(await readTrace(path));
      assert.equal(replayed.result.answer, resumed.answer);
      assert.equal(replayed.same, true, replayed.divergence?.message);
      // ...and it can be resumed again, with nothing left to ask.
      const twice = await new RLM({ ...options, limits: { maxCalls: 1000 } }).resume(await readTrace(path));
      assert.equal(twice.answer, resumed.answer);
      assert.equal(server.requests.length, before + after.length, 'a finished run resumed asks nothing');
    } finally {
      await server.close();
    }
  });

  it('resumes a Python run, and a run over a folder, whose files the trace names and the resume reads again', async () => {
    const root = byTurn([
      repl("parts = llm_query_batched([f'part {i}' for i in range(40)])\nprint(len(parts))"),
      repl('FINAL(f"{len(parts)} parts over {len(context)} documents: {context[1][\'text\'].strip()}")'),
    ]);
    const server = await startScriptedServer({ script: (r) => (r.model === 'root' ? root(r) : `<${r.messages.at(-1)!.content}>`) });
    const dir = await tempDir();
    const folder = join(dir, 'notes');
    await mkdir(folder);
    await writeFile(join(folder, 'a.md'), 'first note');
    await writeFile(join(folder, 'b.md'), 'second note');
    const trace = join(dir, 'run.jsonl');
    try {
      const args = ['--base-url', server.url, '--repl', 'python', '--concurrency', '2', '-q'];
      const models = ['-m', 'root', '--sub-model', 'leaf'];
      const first = await runCli(['ask', '-c', folder, ...args, ...models, '--max-calls', '20', '--trace', trace, 'q'], {
        env: { RLM_API_KEY: 'k' },
      });
      assert.equal(first.code, 1, first.stderr);
      const before = server.requests.length;
      const resumed = await runCli(['ask', '--resume', trace, '--base-url', server.url, '-q', '--max-calls', '100'], {
        env: { RLM_API_KEY: 'k' },
      });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.stdout.trim(), '40 parts over 2 documents: second note');
      // 1 root turn and 40 sub-calls in all, then the last turn; the stopped run had asked 20 (and its last request).
      assert.equal(server.requests.length - before, 1 + 40 + 1 - 19);
      // Files added since: refused, rather than asking everything again over other files.
      await writeFile(join(folder, 'c.md'), 'a third note');
      const changed = await runCli(['ask', '--resume', trace, '--base-url', server.url, '-q'], { env: { RLM_API_KEY: 'k' } });
      assert.equal(changed.code, 2);
      assert.match(changed.stderr, /have changed since the trace was written/);
    } finally {
      await server.close();
    }
  });

  it('reads a trace whose last line was cut short, and refuses one recorded with other settings', async () => {
    const server = await startScriptedServer({ script: fanOutScript(1) });
    const dir = await tempDir();
    const path = join(dir, 'run.jsonl');
    const context = 'ctx';
    const model = (id: string) => createOpenAIModel({ model: id, baseURL: server.url, apiKey: 'k' });
    try {
      const trace = new JsonlTrace(path, { context });
      await new RLM({ model: model('root'), subModel: model('leaf'), limits: { maxCalls: 30 }, onEvent: trace.onEvent }).run({
        context,
        query: 'q',
      });
      await trace.close();
      await appendFile(path, '{"t":12,"type":"model-call-end","callId":99,"dep');
      const read = await readTrace(path);
      assert.ok(read.events.length > 30);
      await assert.rejects(
        new RLM({ model: model('root'), subModel: model('other-leaf') }).resume(read),
        /recorded with other settings.*models/,
      );
      await writeFile(path, '{"type":"trace"}\nnot json\n{}\n');
      await assert.rejects(readTrace(path), /line 2 is not JSON/);
    } finally {
      await server.close();
    }
  });

  it('rlm ask stopped by a provider outage says how to go on; --resume finishes once the provider is back', async () => {
    const dir = await tempDir();
    const contextFile = join(dir, 'context.txt');
    await writeFile(contextFile, 'context\n'.repeat(20));
    let down = true;
    const script = fanOutScript(1);
    const server = await startScriptedServer({
      // The provider goes down after the fan-out, when the root asks for its second turn.
      script: (r) => (down && r.model === 'root' && r.messages.some((m) => m.role === 'assistant') ? { fail: { status: 503 } } : script(r)),
    });
    const trace = join(dir, 'run.jsonl');
    try {
      const args = ['--base-url', server.url, '--concurrency', '4', '-q'];
      const models = ['-m', 'root', '--sub-model', 'leaf'];
      const first = await runCli(['ask', '-c', contextFile, ...args, ...models, '--trace', trace, 'count'], { env: { RLM_API_KEY: 'k' } });
      assert.equal(first.code, 1, first.stderr);
      assert.equal(first.stdout, '');
      assert.match(first.stderr, new RegExp(`to go on from where it stopped: rlm ask --resume ${trace.replace(/[.]/g, '\\.')}`));
      down = false;
      const before = server.requests.length;
      const resumed = await runCli(['ask', '--resume', trace, ...args], { env: { RLM_API_KEY: 'k' } });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.stdout.trim(), `${FAN_OUT} parts: <part 0> ... <part ${FAN_OUT - 1}>`);
      // Only what the outage left unanswered is asked: the root's second turn, none of the fan-out.
      assert.deepEqual(
        server.requests.slice(before).map((r) => r.model),
        ['root'],
      );
    } finally {
      await server.close();
    }
  });

  it(`rlm ask killed with -9 in a fan-out of ${FAN_OUT} sub-calls, then --resume: the same answer, nothing answered asked again`, async () => {
    const dir = await tempDir();
    const contextFile = join(dir, 'context.txt');
    await writeFile(contextFile, 'a context for the fan-out\n'.repeat(100));
    const prices = join(dir, 'prices.json');
    await writeFile(prices, JSON.stringify({ root: { input: 1, output: 4 }, leaf: { input: 0.5, output: 2 } }));
    const common = ['-c', contextFile, '--prices', prices, '--sub-model', 'leaf', '--concurrency', '8', '--json', '-q'];

    // An uninterrupted run, to compare with.
    const whole = await startScriptedServer({ script: fanOutScript(20) });
    let uninterrupted: { answer: string; usage: { total: { costUsd: number; calls: number } } };
    try {
      const run = await runCli(['ask', ...common, '--base-url', whole.url, '-m', 'root', 'count the parts'], { env: { RLM_API_KEY: 'k' } });
      assert.equal(run.code, 0, run.stderr);
      uninterrupted = JSON.parse(run.stdout);
    } finally {
      await whole.close();
    }

    const server = await startScriptedServer({ script: fanOutScript(20) });
    const trace = join(dir, 'run.jsonl');
    try {
      const env = { ...process.env, RLM_API_KEY: 'k' };
      const child = spawn(
        process.execPath,
        [BIN, 'ask', ...common, '--base-url', server.url, '-m', 'root', '--trace', trace, 'count the parts'],
        { env, stdio: 'ignore' },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // Killed once a third of the fan-out is answered, with more in flight.
      while (server.requests.filter((r) => r.status === 200 && r.model === 'leaf').length < FAN_OUT / 3) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      child.kill('SIGKILL');
      await exited;
      const before = [...server.requests];
      const events = (await readTrace(trace)).events;
      const recorded = events.filter((e) => e.type === 'model-call-end' && e.text !== undefined).length;
      // The sub-calls whose replies the trace holds, by their prompt (each is asked once).
      const ended = new Set(events.flatMap((e) => (e.type === 'model-call-end' && e.text !== undefined ? [e.callId] : [])));
      const paid = new Set(
        events.flatMap((e) =>
          e.type === 'model-call-start' && e.kind === 'sub' && ended.has(e.callId) ? [e.messages!.at(-1)!.content] : [],
        ),
      );
      const inFlight = before.length - recorded;
      // Killed in the fan-out: some of it recorded (not all that the server answered: some replies
      // were still on their way), the run not ended.
      assert.ok(recorded > 1 && recorded <= FAN_OUT, `${recorded} replies recorded before the kill`);
      assert.ok(!events.some((e) => e.type === 'run-end'), 'the run was killed before it ended');

      const resumed = await runCli(['ask', '--resume', trace, '--base-url', server.url, '--prices', prices, '--json', '-q'], {
        env: { RLM_API_KEY: 'k' },
      });
      assert.equal(resumed.code, 0, resumed.stderr);
      const result = JSON.parse(resumed.stdout);
      assert.equal(result.answer, uninterrupted.answer);
      const after = server.requests.slice(before.length);
      const askedBefore = new Set(before.map(requestKey));
      const askedAgain = after.filter((r) => askedBefore.has(requestKey(r)));
      assert.deepEqual(
        after.filter((r) => r.model === 'leaf' && paid.has(r.messages.at(-1)!.content)).map((r) => r.messages.at(-1)!.content),
        [],
        'no sub-call whose reply the trace holds is asked again',
      );
      // Only what was in flight at the kill (sent, its reply never recorded) is asked again.
      assert.ok(askedAgain.length <= inFlight, `${askedAgain.length} asked again, ${inFlight} were in flight`);
      assert.equal(before.length + after.length, uninterrupted.usage.total.calls + askedAgain.length);
      // What the run reports it cost is one uninterrupted run's: the replies from the trace count once.
      assert.equal(result.usage.total.calls, uninterrupted.usage.total.calls);
      assert.ok(Math.abs(result.usage.total.costUsd - uninterrupted.usage.total.costUsd) < 1e-9);
      const text = await readFile(trace, 'utf8');
      assert.equal(text.split('\n').filter((l) => l.startsWith('{"type":"resume"')).length, 1);
    } finally {
      await server.close();
    }
  });
});
