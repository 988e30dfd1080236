import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as v from 'valibot';
import { schemaCheck, schemaInstructions, schemaMismatchMessage } from '../../src/schema/index.ts';

describe("the model's text about the answer schema", () => {
  const check = schemaCheck({ type: 'object', properties: { total: { type: 'number' } }, required: ['total'] });

  it('asks JavaScript for the value itself, with the schema as JSON', () => {
    const text = schemaInstructions(check, 'javascript');
    assert.match(text, /FINAL\(value\)/);
    assert.match(text, /not a string of JSON/);
    assert.ok(text.includes(`\`\`\`json\n${check.describe()}\n\`\`\``));
  });

  it('asks Python for a dict or list, sent as JSON', () => {
    const text = schemaInstructions(check, 'python');
    assert.match(text, /dict, list/);
    assert.match(text, /sent as JSON/);
    assert.match(text, /"total"/);
  });

  it('says when the schema has no JSON form, without an empty JSON block', () => {
    const text = schemaInstructions(schemaCheck(v.object({ total: v.number() })), 'javascript');
    assert.doesNotMatch(text, /```/);
    assert.match(text, /no JSON Schema form/);
  });

  it('shows a mismatch issue by issue, asks for FINAL again and counts what is left', () => {
    const text = schemaMismatchMessage(['at .total: expected number, got string "12"', 'at the top level: unexpected property "note"'], 2);
    assert.match(text, /\n- at \.total: expected number, got string "12"\n- at the top level: unexpected property "note"\n/);
    assert.match(text, /call FINAL again with a corrected value; 2 attempts left\.$/);
    assert.match(schemaMismatchMessage(['x'], 1), /1 attempt left\.$/);
  });
});
