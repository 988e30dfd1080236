import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { report } from '../../src/cli/run-report.ts';
import { terminalText } from '../../src/cli/terminal-text.ts';
import type { RunResult } from '../../src/rlm.ts';

const HOSTILE = 'Paris\x1b]52;c;ZXZpbA==\x07\x1b[2J\rfake answer\x9b31m';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({ write: (chunk: Buffer, _encoding, done) => ((text += chunk.toString('utf8')), done()) });
  return { stream, text: () => text };
}

function result(answer: string | undefined, error?: string): RunResult {
  return {
    answer,
    status: answer === undefined ? 'error' : 'done',
    iterations: 1,
    durationMs: 5,
    usage: { total: { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedCalls: 0, estimatedCalls: 0 } },
    ...(error ? { error: { code: 'RLM_SANDBOX', message: error } } : {}),
  } as unknown as RunResult;
}

describe('text from a run, on a terminal', () => {
  it('shows every control character but newline and tab as its escape', () => {
    assert.equal(terminalText(HOSTILE), 'Paris\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J\\x0dfake answer\\x9b31m');
    assert.equal(terminalText('a\tb\nc'), 'a\tb\nc');
  });

  it('escapes an answer written to a terminal, and keeps it byte for byte through a pipe', () => {
    const terminal = sink();
    report(result(HOSTILE), { json: false }, { stdout: terminal.stream, stderr: sink().stream, stdoutIsTTY: true });
    assert.ok(!/[\x1b\x07\r\x9b]/.test(terminal.text()), JSON.stringify(terminal.text()));
    const pipe = sink();
    report(result(HOSTILE), { json: false }, { stdout: pipe.stream, stderr: sink().stream, stdoutIsTTY: false });
    assert.equal(pipe.text(), `${HOSTILE}\n`);
  });

  it('escapes the reason a run has no answer on a terminal', () => {
    const stderr = sink();
    report(
      result(undefined, 'Error: \x1b[2J boom'),
      { json: false },
      { stdout: sink().stream, stderr: stderr.stream, stdoutIsTTY: true, stderrIsTTY: true },
    );
    assert.ok(!stderr.text().includes('\x1b'), stderr.text());
    assert.match(stderr.text(), /\\x1b\[2J boom/);
  });
});
