/** Hostile input: `rlm chat` fed from a pipe, with bad /add commands. */
import assert from 'node:assert/strict';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repl, startScriptedServer } from '../../src/testing/index.ts';
import { noStack, runCli } from '../cli/support.ts';
import { tempDir } from '../inputs/temp-dir.ts';

async function chatRun(stdin: string, extra: string[] = []) {
  const dir = await tempDir();
  await writeFile(join(dir, 'ctx.txt'), 'hello world');
  await mkdir(join(dir, 'folder'));
  await writeFile(join(dir, 'folder', 'x.md'), 'in folder');
  await writeFile(join(dir, 'blob.bin'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0xff]));
  const server = await startScriptedServer({ script: () => repl('FINAL("answer " + (typeof context_1))') });
  try {
    const run = await runCli(['chat', '-c', join(dir, 'ctx.txt'), '--base-url', server.url, '-m', 'm', '-q', ...extra], {
      env: { RLM_API_KEY: 'k' },
      stdin: stdin.replaceAll('DIR', dir),
    });
    return { ...run, questions: server.requests.length };
  } finally {
    await server.close();
  }
}

describe('hostile input: rlm chat through a pipe', () => {
  it('answers each line and exits 0 at EOF', async () => {
    const run = await chatRun('first\nsecond\n');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.match(/answer undefined/g)?.length, 2, run.stdout);
  });

  it('/add of a missing file, a folder and a binary: one line each, the session goes on', async () => {
    const run = await chatRun('/add DIR/nope.txt\n/add DIR/blob.bin\n/add DIR/folder\nq\n');
    assert.equal(run.code, 0, run.stderr);
    assert.ok(noStack(run.stderr), run.stderr);
    assert.match(run.stderr, /no such file/);
    assert.match(run.stderr, /blob\.bin is a binary file/);
    assert.match(run.stderr, /added .*folder as context_1/);
    assert.match(run.stdout, /answer object/);
  });

  // Once a finding (UX/hang): "/add -" reads the context from standard input, which is where the
  // questions come from: through a pipe it swallows every question after it as the context (and
  // on a terminal it waits for Ctrl-D). It should be refused like `rlm chat -c -` is.
  it('/add - is refused as standard input, not "empty"', async () => {
    const run = await chatRun('/add -\nafter one\nafter two\n');
    assert.doesNotMatch(run.stderr, /context is empty/, run.stderr);
    assert.equal(run.stdout.match(/answer /g)?.length, 2, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
  });

  // Once a finding (UX): "/add" with no path (or any unknown /command, e.g. /help) is sent to the model as
  // a question and paid for; it should say how to use /add.
  it('"/add" with no path is not sent to the model as a question', async () => {
    const run = await chatRun('/add\n');
    assert.equal(run.questions, 0, `stdout: ${run.stdout}\nstderr: ${run.stderr}`);
  });
});
