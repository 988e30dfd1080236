import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateLogbook } from '../../src/demo/logbook.ts';
import { runCli } from './support.ts';

describe('rlm demo', () => {
  it('runs a real RLM over the bundled text, says the model is scripted, and answers right', async () => {
    const run = await runCli(['demo']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /against a SCRIPTED model/);
    const { sighting, storms } = generateLogbook();
    assert.equal(run.stdout, `${sighting.name}, day ${sighting.day}; ${storms} storms were logged on the voyage.\n`);
    assert.match(run.stderr, /requests reached the scripted server \(at most \d+ at once\)/);
  });

  it('--repl python runs the same plan in the Python REPL and answers right', async () => {
    const run = await runCli(['demo', '--repl', 'python']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /against a SCRIPTED model, in the Python REPL/);
    assert.match(run.stderr, /import re/);
    const { sighting, storms } = generateLogbook();
    assert.equal(run.stdout, `${sighting.name}, day ${sighting.day}; ${storms} storms were logged on the voyage.\n`);
  });

  it('writes a JSONL trace with one event a line and no secrets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-demo-'));
    const trace = join(dir, 'trace.jsonl');
    const run = await runCli(['demo', '--quiet', '--json', '--trace', trace], { env: { OPENAI_API_KEY: 'sk-should-never-appear' } });
    assert.equal(run.code, 0, run.stderr);
    const text = await readFile(trace, 'utf8');
    const events = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    assert.equal(events[0]!.type, 'trace');
    assert.equal(events[1]!.type, 'run-start');
    assert.equal(events.at(-1)!.type, 'run-end');
    assert.ok(events.filter((e) => e.type === 'model-call-end').length >= 10);
    assert.ok(!text.includes('sk-should-never-appear'));
    assert.equal((JSON.parse(run.stdout) as { status: string }).status, 'done');
  });

  it('refuses an unknown flag in one line', async () => {
    const run = await runCli(['demo', '--nope']);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1);
  });
});
