import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { createOpenAIModel, PythonSandbox, RLM } from '../src/index.ts';
import { byTurn, repl } from '../src/testing/index.ts';
import { withScriptedServer } from './support/scripted.ts';
import { runCli } from './cli/support.ts';

after(() => PythonSandbox.coolDown());

const Totals = z.object({ region: z.string(), total: z.number() });

describe('typed answers', () => {
  it('shows the schema, sends a mismatch back with what is wrong, and returns the corrected value typed', async () => {
    const root = byTurn([repl("FINAL({ region: 'north', total: '12' })"), repl("FINAL({ region: 'north', total: 12 })")]);
    await withScriptedServer(root, async (url, requests) => {
      const rlm = new RLM({ model: createOpenAIModel({ model: 'm', baseURL: url, apiKey: 'k' }) });
      const result = await rlm.run({ context: 'north: 12', query: 'the total?', schema: Totals });
      assert.equal(result.status, 'done');
      assert.deepEqual(result.value, { region: 'north', total: 12 });
      const typed: number | undefined = result.value?.total;
      assert.equal(typed, 12);
      assert.match(requests[0]!.messages.find((m) => m.role === 'user')!.content, /"total"/, 'the first message shows the shape');
      assert.match(requests[1]!.lastUser, /at \.total: .*expected number/, 'the model is told what is wrong');
    });
  });

  it('ends without an answer, with a clear status, once the corrections are used up', async () => {
    const wrong = repl("FINAL({ region: 'north' })");
    await withScriptedServer(byTurn([wrong, wrong, wrong, wrong]), async (url, requests) => {
      const rlm = new RLM({ model: createOpenAIModel({ model: 'm', baseURL: url, apiKey: 'k' }) });
      const result = await rlm.run({ context: 'c', query: 'q', schema: Totals });
      assert.equal(result.answer, undefined);
      assert.equal(result.value, undefined);
      assert.equal(result.status, 'error');
      assert.equal(result.error?.code, 'RLM_SCHEMA_MISMATCH');
      assert.match(result.error!.message, /after 3 attempts.*total/);
      assert.equal(requests.length, 3);
    });
  });

  it('takes a dict from Python FINAL as JSON', async () => {
    await withScriptedServer(byTurn([repl("FINAL({'region': 'south', 'total': 7})")]), async (url) => {
      const rlm = new RLM({ model: createOpenAIModel({ model: 'm', baseURL: url, apiKey: 'k' }), repl: 'python' });
      const result = await rlm.run({ context: 'c', query: 'q', schema: Totals });
      assert.deepEqual(result.value, { region: 'south', total: 7 });
    });
  });

  it('rlm ask --schema file.json --json prints the typed value; a bad schema file is one line, exit 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-schema-'));
    const schema = join(dir, 'schema.json');
    await writeFile(schema, JSON.stringify({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] }));
    const context = join(dir, 'c.txt');
    await writeFile(context, 'n is 41 plus one');
    await withScriptedServer(byTurn([repl('FINAL({ n: 4.5 })'), repl('FINAL({ n: 42 })')]), async (url) => {
      const run = await runCli(['ask', '-c', context, '--schema', schema, '--json', '-q', '--base-url', url, '-m', 'm', 'n?'], {
        env: { RLM_API_KEY: 'k' },
      });
      assert.equal(run.code, 0, run.stderr);
      const printed = JSON.parse(run.stdout);
      assert.deepEqual(printed.value, { n: 42 });
      assert.equal(printed.status, 'done');
    });
    await writeFile(schema, '{ not json');
    // Read before the endpoint is tried: with no model configured, the schema is still what is reported.
    const bad = await runCli(['ask', '-c', context, '--schema', schema, 'n?']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /schema\.json/);
  });
});
