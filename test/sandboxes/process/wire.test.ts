/**
 * The run's process checks every message a REPL process sends before acting on it: a REPL
 * process that sends a malformed or oversized message (as a breached one might) is killed, its
 * cell gets a clear error, and the next cell runs in a fresh REPL. What a cell reports is bounded
 * here too, whatever the REPL process did.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_ANSWER_CHARS, MAX_CALLS_IN_FLIGHT } from '../../../src/sandboxes/limits.ts';
import { recordingBridge, sleep } from '../support.ts';
import { StubSandbox } from './stub-sandbox.ts';

/** Writes one frame by hand: `header` as given (text or bytes), with a prefix that may lie. */
const frame = (header: string, prefix?: [number, number]) =>
  `const h = Buffer.from(${JSON.stringify(header)}); const p = Buffer.alloc(8); p.writeUInt32LE(${prefix ? prefix[0] : 'h.length'}, 0); p.writeUInt32LE(${prefix ? prefix[1] : 0}, 4); raw(Buffer.concat([p, h])); await new Promise((r) => setTimeout(r, 2000));`;

async function expectKilled(code: string, reason: RegExp): Promise<void> {
  const sandbox = await StubSandbox.create({ context: 'c', bridge: recordingBridge().bridge });
  try {
    assert.equal((await sandbox.run('globalThis.kept = 1; return 1')).output, '1\n');
    const result = await sandbox.run(code);
    assert.match(result.error ?? '', reason);
    assert.equal(result.restarted, true);
    // A fresh REPL process, with the context, serves the next cell.
    assert.equal((await sandbox.run('return typeof globalThis.kept')).output, 'undefined\n');
  } finally {
    sandbox.dispose();
  }
}

describe('the wire from a REPL process', () => {
  it('a frame longer than any message may be kills the REPL process before a byte of it is buffered', async () => {
    await expectKilled(frame('{}', [0xffffffff, 0]), /stopped because it sent a message of 4294967295 bytes/);
    await expectKilled(frame('{}', [2, 0xfffffff0]), /stopped because it sent a value of \d+ bytes/);
  });

  it('a message that is not JSON, or not of a known shape, kills the REPL process', async () => {
    await expectKilled(frame('{"type": "call", '), /stopped because it sent a message that is not JSON/);
    await expectKilled(frame('{"type": "launch-missiles"}'), /stopped because it sent a message of unknown type/);
    await expectKilled(
      frame('{"type": "call", "callId": "1", "name": "llm_query", "prompt": "p", "options": {}}'),
      /without an integer callId/,
    );
    await expectKilled(
      frame('{"type": "call", "callId": 1, "name": "llm_query", "prompt": {"a": 1}, "options": {}}'),
      /without a text prompt/,
    );
    await expectKilled(frame(`${'['.repeat(200_000)}${']'.repeat(200_000)}`), /not an object/);
  });

  it('more calls in flight than the cap kills the REPL process, and none past the cap is served', async () => {
    const recorded = recordingBridge();
    const sandbox = await StubSandbox.create({ context: 'c', bridge: recorded.bridge });
    try {
      const result = await sandbox.run(
        `for (let i = 1; i <= ${MAX_CALLS_IN_FLIGHT + 8}; i++) sendToHost({ type: 'call', callId: 1000 + i, name: 'llm_query', prompt: 'HANG ' + i, options: {}, context: null });\nawait new Promise((r) => setTimeout(r, 3000));`,
      );
      assert.match(result.error ?? '', new RegExp(`stopped because it sent more than ${MAX_CALLS_IN_FLIGHT} calls at once`));
      assert.ok(recorded.calls.length <= MAX_CALLS_IN_FLIGHT, `${recorded.calls.length} calls served`);
      assert.ok(
        recorded.calls.every((c) => c.signal.aborted),
        'and those served were aborted',
      );
    } finally {
      sandbox.dispose();
    }
  });

  it('a call that arrives while no cell runs is refused, never served', async () => {
    const recorded = recordingBridge();
    const sandbox = await StubSandbox.create({ context: 'c', bridge: recorded.bridge });
    try {
      await sandbox.run(
        `setTimeout(() => sendToHost({ type: 'call', callId: 77, name: 'llm_query', prompt: 'late', options: {}, context: null }), 50); return 'done'`,
      );
      await sleep(1500);
      assert.deepEqual(
        recorded.calls.map((c) => c.prompt),
        [],
      );
      assert.equal((await sandbox.run('return 2')).output, '2\n');
    } finally {
      sandbox.dispose();
    }
  });

  it("bounds a cell's output and error, and refuses an answer over MAX_ANSWER_CHARS, whatever the REPL process reports", async () => {
    const sandbox = await StubSandbox.create({ context: 'c', bridge: recordingBridge().bridge, maxOutputChars: 1000 });
    try {
      // runId 1: the first cell of a fresh sandbox. The REPL process's own result for it comes later and is ignored.
      const result = await sandbox.run(
        `sendToHost({ type: 'result', runId: 1, result: { output: 'o'.repeat(50_000), error: 'e'.repeat(50_000), final: 'f'.repeat(${MAX_ANSWER_CHARS + 1}), restarted: false, durationMs: 1 } }); await new Promise((r) => setTimeout(r, 500));`,
      );
      assert.ok(result.output.length < 1200, `output of ${result.output.length}`);
      assert.match(result.output, /more characters cut/);
      assert.equal(result.final, undefined);
      assert.match(result.error ?? '', /the final answer is too long/);
      assert.ok((result.error ?? '').length < 11_000, `error of ${(result.error ?? '').length}`);
    } finally {
      sandbox.dispose();
    }
  });
});
