import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';
import { RlmError } from '../../src/errors.ts';
import { MAX_DESCRIBE_CHARS, schemaCheck, type JsonSchema } from '../../src/schema/index.ts';

function refusal(schema: unknown, pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(RlmError.isInstance(error) && error.code === 'RLM_USAGE', String(error));
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/, `one line for ${JSON.stringify(schema)}`);
    return true;
  };
}

describe('schemaCheck with a Standard Schema', () => {
  it('returns the output of the schema, after its transforms, typed', async () => {
    const check = schemaCheck(z.object({ cents: z.number().transform((n) => Math.round(n * 100)), tag: z.string().default('none') }));
    const result = await check.validate({ cents: 12.34 });
    assert.deepEqual(result, { ok: true, value: { cents: 1234, tag: 'none' } });
    if (result.ok) {
      const cents: number = result.value.cents; // typed from the schema's output
      assert.equal(cents, 1234);
    }
  });

  it("describes a Zod 4 schema by its vendor's JSON Schema of the input, so a transform does not stop it", () => {
    const check = schemaCheck(z.object({ invoice: z.string(), total: z.number().transform(String) }));
    assert.match(check.describe(), /"invoice"/);
    assert.match(check.describe(), /"total": \{\s*"type": "number"/);
    assert.deepEqual((check.jsonSchema as Record<string, unknown>).required, ['invoice', 'total']);
  });

  it('describes an ArkType 2 schema by its JSON Schema too', () => {
    assert.match(schemaCheck(type({ invoice: 'string' })).describe(), /"invoice"/);
  });

  it('says so when the vendor offers no JSON form (Valibot 1), and still validates', async () => {
    const check = schemaCheck(v.object({ invoice: v.string() }));
    assert.equal(check.jsonSchema, undefined);
    assert.match(check.describe(), /valibot.*no JSON Schema form/);
    assert.deepEqual(await check.validate({ invoice: 'A-1' }), { ok: true, value: { invoice: 'A-1' } });
  });

  it('says nothing in JSON when the vendor cannot express the schema (a Zod custom check)', () => {
    const check = schemaCheck(z.custom<string>((x) => typeof x === 'string'));
    assert.equal(check.jsonSchema, undefined);
    assert.match(check.describe(), /zod/);
  });

  it('reads async validation (a Zod async refinement)', async () => {
    const check = schemaCheck(z.string().refine(async (s) => s.startsWith('A'), 'must start with A'));
    assert.deepEqual(await check.validate('B-2'), { ok: false, issues: ['at the top level: must start with A'] });
  });

  it("does not repeat the path when the vendor's message starts with it (ArkType)", async () => {
    const result = await schemaCheck(type({ items: type({ price: 'number' }).array() })).validate({ items: [{ price: 'x' }] });
    assert.deepEqual(result, { ok: false, issues: ['at .items[0].price: must be a number (was a string)'] });
  });
});

describe('schemaCheck with a JSON Schema', () => {
  const invoice: JsonSchema = {
    type: 'object',
    properties: {
      invoice: { type: 'string', pattern: '^INV-' },
      issued: { type: 'string', format: 'date' },
      status: { enum: ['paid', 'open'] },
      lines: { type: 'array', minItems: 1, items: { type: 'object', properties: { 'unit price': { type: 'number' } } } },
    },
    required: ['invoice', 'status'],
    additionalProperties: false,
  };

  it('describes the schema as indented JSON and passes it on as given', () => {
    const check = schemaCheck(invoice);
    assert.equal(check.jsonSchema, invoice);
    assert.match(check.describe(), /\n {2}"type": "object"/);
    for (const name of ['invoice', 'issued', 'status', 'lines']) assert.match(check.describe(), new RegExp(`"${name}"`));
  });

  it('returns the value given, neither coerced nor filled in', async () => {
    const check = schemaCheck({ type: 'object', properties: { n: { type: 'number', default: 1 } } });
    const value = { m: '2' };
    const result = await check.validate(value);
    assert.ok(result.ok && result.value === value);
    assert.deepEqual(value, { m: '2' });
  });

  it('writes each kind of mismatch as a line a model can act on', async () => {
    const result = await schemaCheck(invoice).validate({
      invoice: 'X-1',
      issued: 'yesterday',
      status: 'late',
      lines: [{ 'unit price': '12' }],
      note: 'hi',
    });
    assert.deepEqual(result.ok ? [] : [...result.issues].sort(), [
      'at .invoice: must match pattern "^INV-", got string "X-1"',
      'at .issued: expected a string in format "date", got string "yesterday"',
      'at .lines[0]["unit price"]: expected number, got string "12"',
      'at .status: expected one of "paid", "open", got string "late"',
      'at the top level: unexpected property "note"',
    ]);
    const missing = await schemaCheck(invoice).validate({ invoice: 'INV-1', lines: [] });
    assert.deepEqual(missing.ok ? [] : missing.issues, [
      'at the top level: missing required property "status"',
      'at .lines: must NOT have fewer than 1 items',
    ]);
  });

  it('takes draft-07 by its $schema, and a draft-07 tuple without one', async () => {
    const tuple = { type: 'array', items: [{ type: 'string' }, { type: 'number' }], additionalItems: false };
    assert.deepEqual(await schemaCheck(tuple).validate(['a', 1]), { ok: true, value: ['a', 1] });
    const wrong = await schemaCheck({ $schema: 'http://json-schema.org/draft-07/schema', ...tuple }).validate([1, 1, 1]);
    assert.ok(!wrong.ok && wrong.issues.includes('at [0]: expected string, got number 1'), JSON.stringify(wrong));
  });

  it('takes 2020-12 keywords (prefixItems, $defs with $ref, unevaluatedProperties)', async () => {
    const check = schemaCheck({
      $defs: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false } },
      type: 'object',
      properties: { pair: { $ref: '#/$defs/pair' } },
      unevaluatedProperties: false,
    });
    assert.equal((await check.validate({ pair: ['a', 1] })).ok, true);
    const result = await check.validate({ pair: ['a', 1.5, 3], other: 1 });
    assert.deepEqual(result.ok ? [] : [...result.issues].sort(), [
      'at .pair: must NOT have more than 2 items',
      'at .pair[1]: expected integer, got number 1.5',
      'at the top level: unexpected property "other"',
    ]);
  });

  it('takes the boolean schemas', async () => {
    assert.equal((await schemaCheck(true).validate(3)).ok, true);
    assert.deepEqual(await schemaCheck(false).validate(3), { ok: false, issues: ['at the top level: no value is allowed here'] });
  });

  it("cuts a huge schema's description, with a note", () => {
    const properties = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [`field_${i}`, { type: 'string', description: 'x'.repeat(20) }]),
    );
    const text = schemaCheck({ type: 'object', properties }).describe();
    assert.ok(text.length <= MAX_DESCRIBE_CHARS, String(text.length));
    assert.match(text, /cut here: \d+ characters in all\)$/);
  });

  it('refuses an invalid schema at once, with the reason', () => {
    assert.throws(
      () => schemaCheck({ type: 'strin' }),
      refusal({ type: 'strin' }, /not a valid JSON Schema \(draft 2020-12\): at \.type: expected one of "array"/),
    );
    assert.throws(() => schemaCheck({ properties: 3 }), refusal({ properties: 3 }, /at \.properties: expected object, got number 3/));
    assert.throws(() => schemaCheck({ $ref: '#/$defs/nope' }), refusal({ $ref: '#/$defs/nope' }, /cannot be used.*#\/\$defs\/nope/));
    assert.throws(() => schemaCheck({ pattern: '(' }), refusal({ pattern: '(' }, /cannot be used/));
    const old = { $schema: 'http://json-schema.org/draft-04/schema#' };
    assert.throws(() => schemaCheck(old), refusal(old, /draft-04.*use draft 2020-12, 2019-09 or 07/));
  });

  it('refuses what is neither kind of schema, saying what it got', () => {
    class NotASchema {}
    const cases: Array<[unknown, RegExp]> = [
      [null, /got null/],
      ['{"type":"string"}', /got a string/],
      [[{ type: 'string' }], /got an array/],
      [new NotASchema(), /got an object of class NotASchema/],
      [{ '~standard': { version: 2, validate: () => ({ value: 1 }) } }, /not a Standard Schema v1/],
      [() => true, /got a function/],
    ];
    for (const [value, pattern] of cases) assert.throws(() => schemaCheck(value as JsonSchema), refusal(value, pattern));
  });
});
