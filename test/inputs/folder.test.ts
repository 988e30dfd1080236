/**
 * Folders and globs: a generated code base behind a .gitignore, with node_modules/, binaries and
 * a file over the size cap; nested .gitignore files; symbolic links; several sources.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { RlmError } from '../../src/errors.ts';
import { loadCorpus, type LoadedDocument } from '../../src/inputs/index.ts';
import { makeCodeBase, type CodeBase } from './make-code-base.ts';
import { tempDir } from './temp-dir.ts';

async function write(root: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

async function rejectsInput(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(RlmError.isInstance(error), `not an RlmError: ${String(error)}`);
    assert.equal(error.code, 'RLM_INPUT');
    assert.match(error.message, message);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

describe('a folder: a generated code base of 1,000 files', () => {
  let root: string;
  let base: CodeBase;
  before(async () => {
    root = await tempDir();
    base = await makeCodeBase(root, 1000);
  });

  it('holds exactly the files that are neither ignored, binary nor too large, in path order', async () => {
    const corpus = await loadCorpus([root]);
    assert.deepEqual(
      corpus.documents.map((d) => d.path),
      base.documents,
    );
    assert.equal(corpus.onDisk, false);
    assert.equal(corpus.totalBytes, base.bytes);
  });

  it('lists what it left out, once per ignored folder, and says so in the summary', async () => {
    const corpus = await loadCorpus([root]);
    const skipped = corpus.skipped.map((s) => `${s.reason} ${s.path}`);
    assert.deepEqual(skipped.sort(), [
      'binary assets/logo.png',
      'binary bin/data.bin',
      'ignored debug.log',
      'ignored node_modules/',
      'too-large big.txt',
    ]);
    assert.equal(corpus.skipped.find((s) => s.reason === 'too-large')?.bytes, 10 * 1024 * 1024 + 1);
    assert.equal(
      corpus.summary(),
      `1,001 files, ${(base.bytes / 1024 / 1024).toFixed(1)} MiB from ${root}; skipped: 2 ignored (debug.log, node_modules/), 2 binary (assets/logo.png, bin/data.bin), 1 over 10 MiB (big.txt)`,
    );
  });

  it('finds one named function by path and text', async () => {
    const corpus = await loadCorpus([root]);
    const docs = corpus.contextValue() as unknown as LoadedDocument[];
    const hits = docs.filter((d) => d.text.includes(`export function ${base.needle.name}(`));
    assert.deepEqual(
      hits.map((d) => d.path),
      [base.needle.path],
    );
    assert.equal(hits[0]!.kind, 'text');
    assert.match(await corpus.read(base.needle.path), new RegExp(base.needle.name));
  });

  it('gives the same order on every load', async () => {
    const [a, b] = [await loadCorpus([root]), await loadCorpus([root], { onDisk: true })];
    assert.deepEqual(
      a.documents.map((d) => d.path),
      b.documents.map((d) => d.path),
    );
  });

  it('stops when cancelled while walking and reading', async () => {
    const controller = new AbortController();
    const loading = loadCorpus([root], { signal: controller.signal });
    setImmediate(() => controller.abort());
    await assert.rejects(loading, (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_CANCELLED');
  });

  it('expands a glob with the .gitignore honoured, paths as the glob gives them', async () => {
    const corpus = await loadCorpus(['src/module-3/**/*.md'], { cwd: root });
    assert.ok(corpus.documents.length > 0);
    for (const doc of corpus.documents) assert.match(doc.path, /^src\/module-3\/.*\.md$/);
    const everything = await loadCorpus(['**/*.js'], { cwd: root }).catch((e: unknown) => e);
    // Every .js file is under the ignored node_modules/: nothing readable matches.
    assert.ok(RlmError.isInstance(everything));
    assert.match(everything.message, /^no file matches \*\*\/\*\.js$/);
  });

  it('keeps a glob without ** to its depth, and lists no folder it had no need to enter', async () => {
    const corpus = await loadCorpus(['src/*/part-1/*.md'], { cwd: root });
    assert.ok(corpus.documents.length > 10);
    for (const doc of corpus.documents) assert.match(doc.path, /^src\/module-\d+\/part-1\/notes-\d+\.md$/);
    assert.deepEqual(corpus.skipped, []);
  });
});

describe('a folder: rules and links', () => {
  it('applies each .gitignore relative to its folder, with negation, and always skips .git/', async () => {
    const root = await tempDir();
    await write(root, {
      '.gitignore': '*.tmp\nbuild/\n',
      'a.txt': 'a',
      'x.tmp': 'temporary',
      'build/out.txt': 'built',
      '.git/HEAD': 'ref: refs/heads/main\n',
      'docs/.gitignore': '!keep.tmp\n/local.txt\n',
      'docs/keep.tmp': 'kept',
      'docs/drop.tmp': 'dropped',
      'docs/local.txt': 'only here',
      'docs/sub/local.txt': 'deeper, not anchored',
    });
    const corpus = await loadCorpus([root]);
    assert.deepEqual(
      corpus.documents.map((d) => d.path),
      ['.gitignore', 'a.txt', 'docs/.gitignore', 'docs/keep.tmp', 'docs/sub/local.txt'],
    );
    assert.deepEqual(corpus.skipped.map((s) => s.path).sort(), ['.git/', 'build/', 'docs/drop.tmp', 'docs/local.txt', 'x.tmp']);
  });

  it('follows a link inside the folder, not one outside it nor a cycle, and lists those it did not follow', async () => {
    const outside = await tempDir();
    await write(outside, { 'secret.txt': 'outside the root' });
    const root = await tempDir();
    await write(root, { 'real/a.txt': 'inside' });
    await symlink(join(outside, 'secret.txt'), join(root, 'escape.txt'));
    await symlink(outside, join(root, 'escape-dir'));
    await symlink(join(root, 'real'), join(root, 'real', 'loop'));
    await symlink(join(root, 'real', 'a.txt'), join(root, 'alias.txt'));
    await symlink(join(root, 'missing.txt'), join(root, 'dangling.txt'));
    const corpus = await loadCorpus([root]);
    assert.deepEqual(
      corpus.documents.map((d) => d.path),
      ['alias.txt', 'real/a.txt'],
    );
    const links = corpus.skipped.filter((s) => s.reason === 'unreadable-link');
    assert.deepEqual(
      links.map((s) => [s.path, s.detail]),
      [
        ['dangling.txt', 'a dangling link'],
        ['escape-dir', 'points outside the folder'],
        ['escape.txt', 'points outside the folder'],
        ['real/loop', 'a link cycle'],
      ],
    );
    assert.match(corpus.summary(), /4 unreadable links \(dangling\.txt, escape-dir, escape\.txt, \+1 more\)/);
    for (const doc of corpus.contextValue() as unknown as LoadedDocument[]) assert.doesNotMatch(doc.text, /outside the root/);
  });

  it('never opens a FIFO (it could block forever): skipped as not a regular file', async (t) => {
    const root = await tempDir();
    await write(root, { 'a.txt': 'a' });
    if (spawnSync('mkfifo', [join(root, 'pipe')]).status !== 0) return t.skip('no mkfifo here');
    const corpus = await loadCorpus([root]);
    assert.deepEqual(
      corpus.documents.map((d) => d.path),
      ['a.txt'],
    );
    assert.deepEqual(corpus.skipped, [{ path: 'pipe', reason: 'unreadable', detail: 'not a regular file' }]);
    await rejectsInput(loadCorpus(['pipe'], { cwd: root }), /^cannot read pipe: not a regular file$/);
  });

  it('prefixes each folder as given when there are several sources, so paths stay unique', async () => {
    const cwd = await tempDir();
    await write(cwd, { 'a/README.md': 'first', 'b/README.md': 'second', 'notes.txt': 'n' });
    const corpus = await loadCorpus(['./a/', 'b', 'notes.txt', 'a/README.md'], { cwd });
    assert.deepEqual(
      corpus.documents.map((d) => d.path),
      ['a/README.md', 'b/README.md', 'notes.txt'],
    );
    assert.equal(await corpus.read('b/README.md'), 'second');
    assert.equal(corpus.summary(), '3 files, 12 bytes from ./a/, b, notes.txt, a/README.md');
  });
});

describe('errors: one line naming the source', () => {
  it('for a source that does not exist', async () => {
    const cwd = await tempDir();
    await rejectsInput(loadCorpus(['missing/'], { cwd }), /^cannot read missing\/: no such file or folder$/);
  });

  it('for a glob that matches nothing', async () => {
    const cwd = await tempDir();
    await rejectsInput(loadCorpus(['docs/**/*.md'], { cwd }), /^no file matches docs\/\*\*\/\*\.md$/);
  });

  it('for a folder with no readable document, saying what was skipped', async () => {
    const root = await tempDir();
    await write(root, { 'a.bin': Buffer.from([1, 0, 2]), '.gitignore': '*\n' });
    await rejectsInput(loadCorpus([root]), /^no readable document in .*\(skipped: 2 ignored \(\.gitignore, a\.bin\)\)$/);
  });

  it('for no source at all', async () => {
    await rejectsInput(loadCorpus([]), /^no source given/);
  });

  it('when cancelled', async () => {
    const root = await tempDir();
    await write(root, { 'a.txt': 'a' });
    await assert.rejects(
      loadCorpus([root], { signal: AbortSignal.abort() }),
      (e: unknown) => RlmError.isInstance(e) && e.code === 'RLM_CANCELLED',
    );
  });
});
