/**
 * A trace's context on another machine: stored by path and hash (absolute, and relative to the
 * trace's folder), embedded on request, or given at replay; and `rlm replay`'s own flags.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createOpenAIModel, JsonlTrace, readTrace, replayTrace, RLM } from '../../src/index.ts';
import { byTurn, repl, startScriptedServer } from '../../src/testing/index.ts';
import { runCli } from '../cli/support.ts';

const BOOK = 'a small book\n'.repeat(30);

/** Records a run over the context file `book` into `tracePath`, the file given by path. */
async function record(tracePath: string, book: string, embedContext?: boolean): Promise<string | undefined> {
  const root = byTurn([repl("const a = await llm_query('hello');\nFINAL(a + ' ' + context.length)")]);
  const server = await startScriptedServer({ script: (r) => (r.model === 'root' ? root(r) : 'world') });
  try {
    const trace = new JsonlTrace(tracePath, { context: BOOK, contextFile: book, ...(embedContext === undefined ? {} : { embedContext }) });
    const model = createOpenAIModel({ model: 'root', baseURL: server.url });
    const result = await new RLM({ model, subModel: model.withId('sub'), onEvent: trace.onEvent }).run({ context: BOOK, query: 'q' });
    await trace.close();
    return result.answer;
  } finally {
    await server.close();
  }
}

async function header(path: string): Promise<{ context: Record<string, unknown> }> {
  return JSON.parse((await readFile(path, 'utf8')).split('\n')[0]!) as { context: Record<string, unknown> };
}

describe('a trace that travels', () => {
  it('finds its context file beside the trace when the folder has moved; says how to give it when it is gone', async () => {
    const base = await mkdtemp(join(tmpdir(), 'rlm-travel-'));
    const here = join(base, 'here');
    await mkdir(join(here, 'data'), { recursive: true });
    const book = join(here, 'data', 'book.txt');
    await writeFile(book, BOOK);
    const answer = await record(join(here, 'run.jsonl'), book);
    assert.equal(answer, `world ${BOOK.length}`);
    const { context } = await header(join(here, 'run.jsonl'));
    assert.equal(context.file, book);
    assert.equal(context.relativeFile, 'data/book.txt');

    // The whole folder moves (as to another machine): the absolute path is gone, the relative one holds.
    const there = join(base, 'there');
    await rename(here, there);
    const moved = await replayTrace(await readTrace(join(there, 'run.jsonl')));
    assert.equal(moved.same, true, moved.result.error?.message);
    const cli = await runCli(['replay', join(there, 'run.jsonl')]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout, `${answer}\n`);

    // The trace alone: one line that says what to do.
    const copy = join(base, 'copy');
    await mkdir(copy);
    await writeFile(join(copy, 'run.jsonl'), await readFile(join(there, 'run.jsonl')));
    await assert.rejects(
      replayTrace(await readTrace(join(copy, 'run.jsonl'))),
      /context file is not at .*book\.txt nor at data\/book\.txt beside the trace: pass the context \(rlm replay --context <file>\), or record with --trace-context=embed/,
    );
    const lost = await runCli(['replay', join(copy, 'run.jsonl')]);
    assert.equal(lost.code, 2);
    assert.equal(lost.stderr.trim().split('\n').length, 1, lost.stderr);
    assert.match(lost.stderr, /^rlm: the trace's context file is not at .*--context <file>.*--trace-context=embed/);

    // Given the context, it replays; given another, it is refused.
    const given = await replayTrace(await readTrace(join(copy, 'run.jsonl')), { context: BOOK });
    assert.equal(given.same, true);
    const withFlag = await runCli(['replay', '--context', join(there, 'data', 'book.txt'), join(copy, 'run.jsonl')]);
    assert.equal(withFlag.code, 0, withFlag.stderr);
    assert.equal(withFlag.stdout, `${answer}\n`);
    await writeFile(join(copy, 'other.txt'), 'another book');
    const other = await runCli(['replay', '-c', join(copy, 'other.txt'), join(copy, 'run.jsonl')]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /^rlm: the context given differs from the one the trace was recorded with/);
    await rm(base, { recursive: true });
  });

  it('embedContext keeps the context itself in the trace, though it came from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlm-embed-'));
    const book = join(dir, 'book.txt');
    await writeFile(book, BOOK);
    const answer = await record(join(dir, 'run.jsonl'), book, true);
    assert.deepEqual((await header(join(dir, 'run.jsonl'))).context, { inline: BOOK });
    await rm(book);
    const { same, result } = await replayTrace(await readTrace(join(dir, 'run.jsonl')));
    assert.equal(result.answer, answer);
    assert.equal(same, true);
    await rm(dir, { recursive: true });
  });
});

describe('rlm replay --help', () => {
  it('prints its usage, every flag in it, on stdout and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await runCli(['replay', flag]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stderr, '');
      assert.match(run.stdout, /^Usage: rlm replay \[options\] <trace\.jsonl>/);
      for (const named of ['--context', '--json', '--quiet', '--help']) assert.ok(run.stdout.includes(named), `${named} in the help`);
    }
    const wrong = await runCli(['replay', '--nope', 'x.jsonl']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /see rlm replay --help/);
  });
});
