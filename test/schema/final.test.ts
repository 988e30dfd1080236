import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { checkFinal, schemaCheck } from '../../src/schema/index.ts';

describe('checkFinal', () => {
  it('reads FINAL(obj), which reaches the host as indented JSON, as the object', async () => {
    assert.deepEqual(await checkFinal(schemaCheck({ type: 'object' }), '{\n  "a": 1\n}'), { ok: true, value: { a: 1 } });
    const typed = await checkFinal(schemaCheck(z.object({ a: z.number().transform((n) => n + 1) })), '{\n  "a": 1\n}');
    assert.deepEqual(typed, { ok: true, value: { a: 2 } });
  });

  it('keeps a plain string FINAL a string', async () => {
    assert.deepEqual(await checkFinal(schemaCheck({ type: 'string' }), 'plain text'), { ok: true, value: 'plain text' });
  });

  it('takes the raw text when only it matches: 42 for a string schema is "42"', async () => {
    assert.deepEqual(await checkFinal(schemaCheck({ type: 'string' }), '42'), { ok: true, value: '42' });
    assert.deepEqual(await checkFinal(schemaCheck(z.string()), '{"a": 1}'), { ok: true, value: '{"a": 1}' });
  });

  it('takes the JSON when it matches: 42 for a number schema is 42', async () => {
    assert.deepEqual(await checkFinal(schemaCheck({ type: 'number' }), '42'), { ok: true, value: 42 });
  });

  it("gives the JSON reading's issues when neither reading matches", async () => {
    const result = await checkFinal(schemaCheck({ type: 'object', required: ['a'] }), '{\n  "b": 1\n}');
    assert.deepEqual(result, { ok: false, issues: ['at the top level: missing required property "a"'] });
  });

  it("gives the text's issues when the text is not JSON", async () => {
    assert.deepEqual(await checkFinal(schemaCheck({ type: 'number' }), 'forty-two'), {
      ok: false,
      issues: ['at the top level: expected number, got string "forty-two"'],
    });
  });

  it('reads a JSON string literal as the string it stands for', async () => {
    assert.deepEqual(await checkFinal(schemaCheck({ type: 'string', maxLength: 3 }), '"abc"'), { ok: true, value: 'abc' });
  });
});
