import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateTask, scoreAnswer, type TaskInstance } from '../../src/tasks/index.ts';
import { noStack, runCli } from './support.ts';

describe('rlm bench export', () => {
  it('writes one task a line, the same for the same seed, each scorable against its own truth', async () => {
    const run = await runCli(['bench', 'export', '--tasks', 'sniah,oolong,oolong-pairs', '--sizes', '8k,16k', '-n', '2', '--seed', '4']);
    assert.equal(run.code, 0, run.stderr);
    const tasks = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as TaskInstance);
    assert.equal(tasks.length, 12);
    assert.deepEqual(
      tasks.map((t) => t.id),
      ['sniah', 'oolong', 'oolong-pairs'].flatMap((f) => ['8k', '16k'].flatMap((s) => [0, 1].map((i) => `${f}-${s}-${i}-s4`))),
    );
    assert.deepEqual(tasks[7], generateTask('oolong', 16_000, 1, 4));
    for (const task of tasks) assert.equal(scoreAnswer(task, task.answer), 1, task.id);
    assert.equal((await runCli(['bench', 'export', '--tasks', 'sniah,oolong,oolong-pairs', '--sizes', '8k,16k', '-n', '2', '--seed', '4'])).stdout, run.stdout);
  });

  it('writes to a file with -o and says so', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'rlm-bench-')), 'tasks.jsonl');
    const run = await runCli(['bench', 'export', '--tasks', 'sniah', '--sizes', '8k', '-n', '3', '-o', path]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /wrote 3 tasks to .*tasks\.jsonl/);
    assert.equal((await readFile(path, 'utf8')).trim().split('\n').length, 3);
  });

  it('bad usage is one line and exit 2', async () => {
    for (const [args, pattern] of [
      [['bench', 'export', '--tasks', 'nope'], /unknown task 'nope'/],
      [['bench', 'export', '--sizes', 'big'], /--sizes: a size must look like 8k/],
      [['bench', 'export', '-n', '0'], /--instances expects a whole number of at least 1/],
      [['bench', 'export', '-o', '/nonexistent/dir/x.jsonl'], /cannot write \/nonexistent\/dir\/x\.jsonl: ENOENT/],
      [['bench', 'run'], /unknown bench command 'run'/],
    ] as const) {
      const run = await runCli([...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stderr.trim().split('\n').length, 1);
      assert.match(run.stderr, pattern);
      assert.ok(noStack(run.stderr));
    }
  });
});
