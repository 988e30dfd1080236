/** Hostile input: hostile schemas and hand-edited traces through the CLI. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';
import { noStack, runCli } from '../cli/support.ts';
import { tempDir } from '../inputs/temp-dir.ts';

async function ask(code: string, args: (dir: string) => string[], files: Record<string, string>) {
  const dir = await tempDir();
  await writeFile(join(dir, 'ctx.txt'), 'hello');
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const server = await startScriptedServer({ script: byTurn([repl(code)]) });
  try {
    const run = await runCli(['ask', '--base-url', server.url, ...args(dir)], { env: { RLM_API_KEY: 'k' } });
    return { ...run, requests: server.requests.length };
  } finally {
    await server.close();
  }
}

describe('hostile input: schemas', () => {
  // Once a finding (hang): Ajv runs a schema's `pattern` on the host's event loop with the built-in
  // RegExp. A backtracking pattern and a FINAL the model (steered by the context) shapes to it
  // block the process: --timeout 5000 never fires (measured: still running after 90 s).
  it('a catastrophic pattern cannot hold the run past --timeout', { timeout: 40_000 }, async () => {
    const started = Date.now();
    const run = await ask(
      'FINAL("a".repeat(34) + "!")',
      (d) => ['-c', join(d, 'ctx.txt'), '-m', 'm', '--timeout', '5000', '--schema', join(d, 's.json'), 'q'],
      {
        's.json': JSON.stringify({ type: 'string', pattern: '^(a+)+$' }),
      },
    );
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms: ${run.stderr}`);
  });

  // Once a finding (UX): {"$ref": "#"} passes the schema check, a model call is paid for, then the run
  // ends with "rlm: Maximum call stack size exceeded", exit 1. Should be refused up front, exit 2.
  it('a self-referencing schema is refused before any call, exit 2', async () => {
    const run = await ask('FINAL({ a: 1 })', (d) => ['-c', join(d, 'ctx.txt'), '-m', 'm', '--schema', join(d, 's.json'), 'q'], {
      's.json': '{"$ref":"#"}',
    });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.requests, 0);
  });
});

describe('hostile input: hand-edited traces', () => {
  const header = JSON.stringify({ type: 'trace', version: 1, context: { inline: 'hello' } });
  const start = (settings: unknown, query: unknown = 'q') =>
    JSON.stringify({ t: 1, type: 'run-start', runId: 'r0', depth: 0, query, contextChars: 5, model: 'm', subModel: 'm', settings });
  const good = { repl: 'javascript', maxIterations: 3, maxDepth: 1, maxOutputChars: 20000, models: ['m', 'm', 'm'], limits: {} };
  // Once a finding (UX): each of these is one line with no stack, but an internal TypeError ("Cannot read
  // properties of null (reading 'type')", "settings.models.map is not a function", "Cannot use
  // 'in' operator ...") with exit 1; a bad input file should be exit 2 and name the trace.
  for (const [name, lines] of [
    ['a null line', [header, 'null']],
    ['a header with no context', [JSON.stringify({ type: 'trace', version: 1 }), start(good)]],
    ['models as a string', [header, start({ ...good, models: 'm' })]],
    ['settings as a number', [header, start(5)]],
  ] as const) {
    it(`${name}: exit 2, one line naming the trace`, async () => {
      const run = await ask('FINAL("x")', (d) => ['--resume', join(d, 't.jsonl')], { 't.jsonl': lines.join('\n') + '\n' });
      assert.ok(noStack(run.stderr), run.stderr);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /t\.jsonl/);
    });
  }
});
