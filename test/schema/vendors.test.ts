/**
 * One suite, run against every kind of answer schema rlm takes: the same shape made with Zod 4,
 * Valibot 1, ArkType 2, and as JSON Schema 2020-12 and draft-07. Each must pass a matching value
 * back and point at the same places in a wrong one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';
import { schemaCheck, type AnswerSchema } from '../../src/schema/index.ts';

const properties = {
  name: { type: 'string' },
  items: { type: 'array', items: { type: 'object', properties: { price: { type: 'number' } }, required: ['price'] } },
};

const KINDS: Record<string, AnswerSchema> = {
  'Zod 4': z.object({ name: z.string(), items: z.array(z.object({ price: z.number() })) }),
  'Valibot 1': v.object({ name: v.string(), items: v.array(v.object({ price: v.number() })) }),
  'ArkType 2': type({ name: 'string', items: type({ price: 'number' }).array() }),
  'JSON Schema 2020-12': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties,
    required: ['name', 'items'],
  },
  'JSON Schema draft-07': { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties, required: ['name', 'items'] },
};

for (const [kind, schema] of Object.entries(KINDS)) {
  describe(`an answer schema made with ${kind}`, () => {
    const check = schemaCheck(schema);

    it('passes a matching value back', async () => {
      const value = { name: 'order', items: [{ price: 1 }, { price: 2.5 }] };
      assert.deepEqual(await check.validate(value), { ok: true, value });
    });

    it('says where a wrong value is wrong, one line per place, with the path as code writes it', async () => {
      const result = await check.validate({ name: 7, items: [{ price: 1 }, { price: '12' }] });
      assert.equal(result.ok, false);
      const issues = result.ok ? [] : result.issues;
      assert.equal(issues.length, 2, issues.join('\n'));
      assert.ok(
        issues.some((line) => line.startsWith('at .items[1].price: ')),
        issues.join('\n'),
      );
      assert.ok(
        issues.some((line) => line.startsWith('at .name: ')),
        issues.join('\n'),
      );
    });

    it('names a missing property', async () => {
      const result = await check.validate({ items: [] });
      assert.ok(!result.ok && result.issues.length === 1 && /name/.test(result.issues[0]!), JSON.stringify(result));
    });

    it('lists at most twenty issues, then how many more', async () => {
      const result = await check.validate({ name: 'x', items: Array.from({ length: 30 }, () => ({ price: 'free' })) });
      assert.ok(!result.ok);
      assert.equal(result.issues.length, 21);
      assert.equal(result.issues[20], '+10 more');
    });
  });
}
