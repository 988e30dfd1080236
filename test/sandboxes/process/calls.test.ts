/**
 * Host calls are held in the REPL process: at most `maxCallsInFlight` reach the run's process at
 * once, the rest wait (up to MAX_CALLS_WAITING, past which a call fails at once), and every call
 * belongs to the cell that runs: those it leaves behind end when it reports, and none is made
 * while no cell runs.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MAX_CALLS_IN_FLIGHT, MAX_CALLS_WAITING } from '../../../src/sandboxes/limits.ts';
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import { createSandbox, recordingBridge, sleep } from '../support.ts';
import { StubSandbox } from './stub-sandbox.ts';

after(() => PythonSandbox.coolDown());

describe('host calls in the REPL process (repl-server.ts)', () => {
  it(`holds calls in flight to maxCallsInFlight (default ${MAX_CALLS_IN_FLIGHT}); the rest wait their turn and all are answered`, async () => {
    for (const maxCallsInFlight of [undefined, 5]) {
      const recorded = recordingBridge({ delayMs: 20 });
      const sandbox = await StubSandbox.create({
        context: 'c',
        bridge: recorded.bridge,
        ...(maxCallsInFlight ? { maxCallsInFlight } : {}),
      });
      try {
        const result = await sandbox.run(
          'const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => bridge.llm_query("p" + i, {}, signal))); return answers.length + " " + answers[199]',
        );
        assert.equal(result.output, '200 answer:p199\n', result.error);
        assert.equal(recorded.maxInFlight, maxCallsInFlight ?? MAX_CALLS_IN_FLIGHT);
        // First come, first served.
        assert.deepEqual(
          recorded.calls.slice(0, 3).map((c) => c.prompt),
          ['p0', 'p1', 'p2'],
        );
      } finally {
        sandbox.dispose();
      }
    }
  });

  it('fails a call at once past MAX_CALLS_WAITING waiting, and ends all the others when the cell reports', async () => {
    const recorded = recordingBridge();
    const sandbox = await StubSandbox.create({ context: 'c', bridge: recorded.bridge, maxCallsInFlight: 2 });
    try {
      const extra = 25;
      const result = await sandbox.run(
        `const refused = []; const pending = [];
         for (let i = 0; i < ${2 + MAX_CALLS_WAITING + extra}; i++) pending.push(bridge.llm_query("HANG " + i, {}, signal).catch((e) => refused.push(e.message)));
         await new Promise((r) => setTimeout(r, 50));
         globalThis.pending = pending; globalThis.refused = refused;
         return refused.length + " " + refused[0]`,
      );
      assert.match(result.output, new RegExp(`^${extra} too many calls at once`), result.error);
      assert.equal(recorded.calls.length, 2);
      // The cell reported: its calls were ended, here and at the run's process.
      const ended = await sandbox.run(
        'await Promise.all(globalThis.pending); return globalThis.refused.length + " " + globalThis.refused.at(-1)',
      );
      assert.match(ended.output, new RegExp(`^${2 + MAX_CALLS_WAITING + extra} the cell that made this call had ended`), ended.error);
      await sleep(50);
      assert.ok(
        recorded.calls.every((c) => c.signal.aborted),
        'the calls in flight were aborted',
      );
      assert.equal(recorded.calls.length, 2, 'none of those waiting was ever sent');
    } finally {
      sandbox.dispose();
    }
  });

  it('refuses calls made while no cell runs', async () => {
    const recorded = recordingBridge();
    const sandbox = await StubSandbox.create({ context: 'c', bridge: recorded.bridge });
    try {
      await sandbox.run(
        'setTimeout(() => bridge.llm_query("late", {}, new AbortController().signal).catch((e) => (globalThis.late = e.message)), 50); return 1',
      );
      // Long enough for the timer to fire between the cells even on a loaded machine.
      await sleep(1500);
      assert.match((await sandbox.run('return globalThis.late')).output, /only while a cell runs/);
      assert.equal(recorded.calls.length, 0);
    } finally {
      sandbox.dispose();
    }
  });

  it('refuses a prompt over MAX_PROMPT_CHARS and a value too large or too deep, before it leaves the REPL process', async () => {
    const recorded = recordingBridge({ tools: { echo: (x: unknown) => x } });
    const sandbox = await StubSandbox.create({ context: 'c', bridge: recorded.bridge, tools: ['echo'] });
    try {
      const result = await sandbox.run(`const out = [];
        const tryIt = async (f) => { try { await f(); out.push("sent") } catch (e) { out.push(e.message.slice(0, 60)) } };
        await tryIt(() => bridge.llm_query("x".repeat(4_000_001), {}, signal));
        await tryIt(() => bridge.rlm_query("q", "y".repeat(32_000_001), {}, signal));
        let v = {}; for (let i = 0; i < 1700; i++) v = { a: v };
        await tryIt(() => bridge.rlm_query("q", v, {}, signal));
        await tryIt(() => bridge.tool("echo", [v], signal));
        return out.join("\\n")`);
      assert.deepEqual(
        result.output
          .trim()
          .split('\n')
          .map((line) => line.replace(/:.*/, '')),
        [
          'llm_query',
          "rlm_query's context is too large",
          "rlm_query's context is nested 1701 deep (at most 1000)",
          'the arguments of echo is nested 1702 deep (at most 1000)',
        ],
      );
      assert.equal(recorded.calls.length + recorded.toolCalls.length, 0);
    } finally {
      sandbox.dispose();
    }
  });
});

describe('host calls of real REPLs', () => {
  it('javascript: an unawaited loop of llm_query stops when its cell reports, and after a later cell times out', async () => {
    const { sandbox, recorded } = await createSandbox('javascript', { bridge: { delayMs: 5 } });
    try {
      await sandbox.run(
        '(async () => { for (let i = 0; i < 100000; i++) { try { await llm_query("loop " + i) } catch {} } })(); print("started")',
      );
      await sleep(500);
      const afterFirst = recorded.calls.length;
      await sleep(500);
      assert.ok(recorded.calls.length <= afterFirst + 1, `the loop went on: ${afterFirst} then ${recorded.calls.length}`);
      // A later cell that times out leaves nothing running either.
      await sandbox.run(
        '(async () => { for (let i = 0; i < 100000; i++) { try { await llm_query("again " + i) } catch {} } })(); await llm_query("HANG")',
        { timeoutMs: 300 },
      );
      await sleep(300);
      const afterTimeout = recorded.calls.length;
      await sleep(500);
      assert.ok(
        recorded.calls.length <= afterTimeout + 1,
        `the loop went on after a timeout: ${afterTimeout} then ${recorded.calls.length}`,
      );
    } finally {
      sandbox.dispose();
    }
  });

  it(`javascript: 2,000 unawaited calls reach the bridge ${MAX_CALLS_IN_FLIGHT} at a time`, async () => {
    const { sandbox, recorded } = await createSandbox('javascript', { bridge: { delayMs: 5 }, cellTimeoutMs: 30_000 });
    try {
      const result = await sandbox.run(
        'const all = []; for (let i = 0; i < 2000; i++) all.push(llm_query("p" + i)); print((await Promise.all(all)).length)',
      );
      assert.equal(result.output, '2000\n', result.error);
      assert.ok(recorded.maxInFlight <= MAX_CALLS_IN_FLIGHT, `${recorded.maxInFlight} in flight`);
    } finally {
      sandbox.dispose();
    }
  });

  it(`python: a batch of 100 reaches the bridge ${MAX_CALLS_IN_FLIGHT} at a time`, async () => {
    const { sandbox, recorded } = await createSandbox('python', { bridge: { delayMs: 5 }, cellTimeoutMs: 30_000 });
    try {
      const result = await sandbox.run('print(len(llm_query_batched(["p%d" % i for i in range(100)])))');
      assert.equal(result.output, '100\n', result.error);
      assert.ok(recorded.maxInFlight <= MAX_CALLS_IN_FLIGHT, `${recorded.maxInFlight} in flight`);
    } finally {
      sandbox.dispose();
    }
  });
});
