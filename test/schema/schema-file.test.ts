import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RlmError } from '../../src/errors.ts';
import { readSchemaFile } from '../../src/schema/index.ts';

describe('readSchemaFile', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rlm-schema-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  function refusal(path: string, pattern: RegExp): (error: unknown) => boolean {
    return (error) => {
      assert.ok(RlmError.isInstance(error) && error.code === 'RLM_INPUT', String(error));
      assert.ok(error.message.includes(path), error.message);
      assert.doesNotMatch(error.message, /\n/);
      assert.match(error.message, pattern);
      return true;
    };
  }

  it('reads a JSON Schema', async () => {
    const path = await file('answer.json', '{\n  "type": "object",\n  "properties": { "total": { "type": "number" } }\n}\n');
    assert.deepEqual(await readSchemaFile(path), { type: 'object', properties: { total: { type: 'number' } } });
  });

  it('refuses a missing file in one line naming it', async () => {
    const path = join(dir, 'missing.json');
    await assert.rejects(readSchemaFile(path), refusal(path, /^cannot read the schema file /));
  });

  it('refuses text that is not JSON in one line naming the file', async () => {
    const path = await file('broken.json', '{\n  "type": "object",\n}\n');
    await assert.rejects(readSchemaFile(path), refusal(path, /is not valid JSON/));
  });

  it('refuses JSON that is not a schema in one line naming the file', async () => {
    const list = await file('list.json', '[{ "type": "string" }]');
    await assert.rejects(readSchemaFile(list), refusal(list, /is not a JSON Schema: it holds an array/));
    const text = await file('text.json', '"string"');
    await assert.rejects(readSchemaFile(text), refusal(text, /is not a JSON Schema: it holds string/));
    const wrong = await file('wrong.json', '{ "type": "strin" }');
    await assert.rejects(readSchemaFile(wrong), refusal(wrong, /is not a valid JSON Schema \(draft 2020-12\): at \.type/));
  });
});
