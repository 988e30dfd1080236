import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codeBlocks, lastLineFinal, parseReply } from '../src/protocol.ts';

describe('code blocks', () => {
  it('runs repl and javascript fences in order, and nothing else', () => {
    const reply = 'Plan.\n```repl\nconst a = 1\n```\ntext\n```js\nprint(a)\n```\n```python\nprint(1)\n```\n```\nplain\n```';
    assert.deepEqual(codeBlocks(reply, 'javascript'), ['const a = 1', 'print(a)']);
    assert.deepEqual(codeBlocks(reply, 'python'), ['const a = 1', 'print(1)']);
  });

  it('keeps a fence that contains backticks, and longer fences', () => {
    const reply = '````repl\nconst s = `x ``` y`\n````';
    assert.deepEqual(codeBlocks(reply, 'javascript'), ['const s = `x ``` y`']);
  });

  it('ignores empty blocks', () => {
    assert.deepEqual(codeBlocks('```repl\n\n```', 'javascript'), []);
  });
});

describe('final answers written as text', () => {
  it('takes FINAL(...) on the last line of a reply without code', () => {
    assert.deepEqual(parseReply('I checked everything.\nFINAL(Paris)', 'javascript'), {
      code: [],
      final: { kind: 'value', value: 'Paris' },
      ignoredFinal: false,
    });
  });

  it('unquotes a quoted value and keeps multi-line values', () => {
    assert.deepEqual(lastLineFinal('FINAL("a \\"b\\"")'), { kind: 'value', value: 'a "b"' });
    assert.deepEqual(lastLineFinal('done\nFINAL(line one\nline two)'), { kind: 'value', value: 'line one\nline two' });
  });

  it('takes FINAL_VAR(name) with or without quotes', () => {
    assert.deepEqual(lastLineFinal('FINAL_VAR(answer)'), { kind: 'variable', name: 'answer' });
    assert.deepEqual(lastLineFinal("**FINAL_VAR('answer')**"), { kind: 'variable', name: 'answer' });
  });

  it('does not take FINAL() with nothing in it as an answer', () => {
    assert.equal(lastLineFinal('FINAL()'), undefined);
    assert.equal(lastLineFinal('Done.\nFINAL(  )'), undefined);
  });

  it('does not take a FINAL that is not on the last line', () => {
    assert.equal(parseReply('FINAL(42)\nbut let me check first', 'javascript').final, undefined);
  });

  it('ignores a text FINAL next to a code block, and says so', () => {
    const parsed = parseReply('```repl\nprint(1)\n```\nFINAL(1)', 'javascript');
    assert.deepEqual(parsed.code, ['print(1)']);
    assert.equal(parsed.final, undefined);
    assert.equal(parsed.ignoredFinal, true);
  });

  it('does not flag FINAL called inside the code itself', () => {
    const parsed = parseReply('```repl\nFINAL(x)\n```', 'javascript');
    assert.equal(parsed.ignoredFinal, false);
  });
});

describe('hostile replies', () => {
  // A reply is model output, which text hidden in a context can steer. Both of these took the
  // old regex parser tens of seconds (58 s and 13 s); a linear parser takes milliseconds, and the
  // bound is far from either.
  it('reads 40,000 fence openings without a close in linear time', () => {
    const started = performance.now();
    const parsed = parseReply('```a\n'.repeat(40_000), 'javascript');
    assert.deepEqual(parsed.code, []);
    assert.ok(performance.now() - started < 3_000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('reads an unclosed FINAL( followed by 100,000 spaces in linear time', () => {
    const started = performance.now();
    assert.equal(lastLineFinal('FINAL(' + ' '.repeat(100_000) + 'x'), undefined);
    assert.ok(performance.now() - started < 3_000, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('still pairs each fence with the first close of the same fence, and keeps unclosed openings as text', () => {
    const reply = '```repl\na\n```\n````repl\nb\n```\nc\n````\n```js\nnever closed\n';
    assert.deepEqual(codeBlocks(reply, 'javascript'), ['a', 'b\n```\nc']);
    assert.equal(parseReply(reply + 'FINAL(9)', 'javascript').ignoredFinal, true);
  });
});
