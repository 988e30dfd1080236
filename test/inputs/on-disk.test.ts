/**
 * Kept on disk: the REPL sees the list only, `read` opens a document on demand (by index or exact
 * path, whole or a slice) and nothing else; 'auto' keeps a corpus on disk past the memory budget.
 */
import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { RlmError } from '../../src/errors.ts';
import { loadCorpus, type Corpus } from '../../src/inputs/index.ts';
import { makeDocx } from './make-docx.ts';
import { makePdf } from './make-pdf.ts';
import { tempDir } from './temp-dir.ts';

async function rejectsInput(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(RlmError.isInstance(error), `not an RlmError: ${String(error)}`);
    assert.equal(error.code, 'RLM_INPUT');
    assert.match(error.message, message);
    return true;
  });
}

describe('a corpus kept on disk', () => {
  let root: string;
  let corpus: Corpus;
  before(async () => {
    root = await tempDir();
    await mkdir(join(root, 'docs'));
    await writeFile(join(root, 'a.txt'), 'alpha beta gamma');
    await writeFile(join(root, 'docs', 'memo.docx'), makeDocx(['on-disk docx fact']));
    await writeFile(join(root, 'docs', 'report.pdf'), makePdf(['page one', 'page two: 1234']));
    await writeFile(join(root, 'data.csv'), 'a,b\n1,2\n');
    corpus = await loadCorpus([root], { onDisk: true });
  });

  it('lists its documents without their text', () => {
    assert.equal(corpus.onDisk, true);
    assert.deepEqual(corpus.contextValue(), [
      { path: 'a.txt', bytes: 16, kind: 'text' },
      { path: 'data.csv', bytes: 8, kind: 'csv' },
      { path: 'docs/memo.docx', bytes: corpus.documents[2]!.bytes, kind: 'docx' },
      { path: 'docs/report.pdf', bytes: corpus.documents[3]!.bytes, kind: 'pdf' },
    ]);
    assert.match(corpus.summary(), /^4 files, .* \(kept on disk\)$/);
  });

  it('reads by index, by path, and a slice in characters', async () => {
    assert.equal(await corpus.read(0), 'alpha beta gamma');
    assert.equal(await corpus.read('a.txt', 6, 10), 'beta');
    assert.equal(await corpus.read(0, 11), 'gamma');
    assert.equal(await corpus.read('data.csv'), 'a,b\n1,2\n');
    assert.match(await corpus.read('docs/memo.docx'), /on-disk docx fact/);
    assert.equal(await corpus.read('docs/report.pdf'), 'page one\fpage two: 1234');
  });

  it('refuses an index out of range and any path not in the list', async () => {
    await rejectsInput(corpus.read(4), /^no document 4: the corpus has 4 \(0 to 3\)$/);
    await rejectsInput(corpus.read(-1), /^no document -1/);
    await rejectsInput(corpus.read(1.5), /^no document 1\.5/);
    await rejectsInput(corpus.read('../../etc/passwd'), /^no document "\.\.\/\.\.\/etc\/passwd" in the corpus$/);
    await rejectsInput(corpus.read(join(root, 'a.txt')), /^no document ".*a\.txt" in the corpus$/);
    await rejectsInput(corpus.read('./a.txt'), /^no document/);
  });

  it('says which file when one can no longer be read', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'gone.txt'), 'soon gone');
    await writeFile(join(dir, 'stays.txt'), 'here');
    const c = await loadCorpus([dir], { onDisk: true });
    await rm(join(dir, 'gone.txt'));
    await rejectsInput(c.read('gone.txt'), /^cannot read gone\.txt: no such file or folder$/);
    assert.equal(await c.read('stays.txt'), 'here');
  });

  it('reads right while documents come and go from the few texts it keeps', async () => {
    const dir = await tempDir();
    const names = Array.from({ length: 9 }, (_, i) => `doc-${i}.txt`);
    for (const name of names) await writeFile(join(dir, name), `text of ${name}`);
    const c = await loadCorpus([dir], { onDisk: true });
    for (let round = 0; round < 2; round++) {
      const texts = await Promise.all([...names, ...names.toReversed()].map((name) => c.read(name)));
      assert.deepEqual(
        texts,
        [...names, ...names.toReversed()].map((name) => `text of ${name}`),
      );
    }
  });

  it('keeps a corpus on disk when it is over the memory budget, and loads it otherwise', async () => {
    const over = await loadCorpus([root], { memoryBudgetBytes: 100 });
    assert.equal(over.onDisk, true);
    const under = await loadCorpus([root]);
    assert.equal(under.onDisk, false);
    assert.equal(await under.read('docs/report.pdf', 0, 8), 'page one');
  });

  it('tells the same kinds as a load into memory', async () => {
    const loaded = await loadCorpus([root], { onDisk: false });
    assert.deepEqual(loaded.documents, corpus.documents);
  });
});
