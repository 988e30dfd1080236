import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outputsMessage } from '../src/prompt.ts';

describe('the message of a turn’s outputs', () => {
  it('bounds a reply of a thousand blocks, each printing its whole allowance, and says what was not shown', () => {
    const reports = Array.from({ length: 1000 }, () => ({ output: 'x'.repeat(20_000), error: 'E'.repeat(10_000), restarted: false }));
    const message = outputsMessage(reports, 'q', 1, 30, false, 60_000);
    assert.ok(message.length < 60_000 + 1000 * 200, `${message.length} characters`);
    assert.ok(
      message.includes(
        'Output of block 3 of 1000:\n(not shown: the outputs of this reply passed 60,000 characters; print less in each block)',
      ),
    );
    assert.ok(message.startsWith(`Output of block 1 of 1000:\n${'x'.repeat(20_000)}\n${'E'.repeat(10_000)}\n\nOutput of block 2`));
  });

  it('shows every block of an ordinary reply', () => {
    const message = outputsMessage(
      [
        { output: 'a\n', restarted: false },
        { output: '', error: 'Error: b', restarted: true },
      ],
      'q',
      2,
      30,
      false,
      60_000,
    );
    assert.match(message, /Output of block 1 of 2:\na\n\nOutput of block 2 of 2:\n\(no output\)\nError: b\nThe REPL had to be restarted/);
  });
});
