/**
 * `rlm ask` loads what an ask uses and nothing else: each command's module is imported when that
 * command runs, so an ask pays at start-up for neither the benchmark, the trace viewer, replay,
 * the demo, nor a provider it does not call. Checked by the modules a real `rlm ask` loads.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repl, startScriptedServer } from '../../src/testing/index.ts';
import { BIN } from './support.ts';

/** Preloaded into the command's process: appends the URL of every module it loads to $RLM_LOADS. */
const RECORD_LOADS = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
import { appendFileSync } from 'node:fs';
registerHooks({ load(url, context, next) { appendFileSync(process.env.RLM_LOADS, url + '\\n'); return next(url, context); } });
`)}`;

/** What an ask with no --trace or --provider anthropic must not load. */
const NOT_FOR_ASK = [
  /packages\/bench\//,
  /node_modules\/(rlm-bench|minisearch)\//,
  /src\/trace\/(viewer|view-model|replay|jsonl)\.ts$/,
  /src\/demo\//,
  /src\/testing\//,
  /src\/cli\/(demo|replay|view|bench-plugin)\.ts$/,
  /@anthropic-ai\//,
];

describe('rlm ask at start-up', () => {
  it('answers without loading the benchmark, the viewer, replay, the demo or another provider', async () => {
    const server = await startScriptedServer({ models: ['root'], script: () => repl("FINAL('loaded')") });
    const dir = await mkdtemp(join(tmpdir(), 'rlm-startup-'));
    const loads = join(dir, 'loads.txt');
    await writeFile(join(dir, 'context.txt'), 'a small context');
    try {
      const child = spawn(
        process.execPath,
        ['--import', RECORD_LOADS, BIN, 'ask', '-q', '-c', join(dir, 'context.txt'), '--base-url', server.url, '--model', 'root', 'q'],
        {
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RLM_LOADS: loads },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(code, 0, stderr);
      assert.equal(stdout, 'loaded\n');
      const loaded = (await readFile(loads, 'utf8')).trim().split('\n');
      assert.ok(
        loaded.some((url) => url.endsWith('/src/cli/ask.ts')),
        'the recording saw the run',
      );
      assert.deepEqual(
        loaded.filter((url) => NOT_FOR_ASK.some((pattern) => pattern.test(url))),
        [],
      );
    } finally {
      await server.close();
    }
  });
});
