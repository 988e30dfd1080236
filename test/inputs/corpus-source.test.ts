/** isCorpusSource: which single sources become a corpus, and which stay a plain text context. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { isCorpusSource } from '../../src/inputs/index.ts';
import { makeDocx } from './make-docx.ts';
import { makePdf } from './make-pdf.ts';
import { tempDir } from './temp-dir.ts';

describe('isCorpusSource', () => {
  let cwd: string;
  before(async () => {
    cwd = await tempDir();
    await mkdir(join(cwd, 'folder'));
    const files: Record<string, string | Buffer> = {
      'notes.txt': 'plain',
      'README.md': '# plain markdown',
      noext: 'plain too',
      'report.pdf': makePdf(['x']),
      scan: makePdf(['a PDF without its extension']),
      'memo.docx': makeDocx(['x']),
      'page.html': '<p>x</p>',
      'saved.txt': '<!DOCTYPE html><p>x</p>',
      'data.json': '{"a":1}',
      'events.jsonl': '{"a":1}\n',
      'table.csv': 'a,b\n',
      'pdf-notes.md': 'A PDF file starts with %PDF-1.4 and ends with %%EOF.',
      'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]),
    };
    for (const [name, content] of Object.entries(files)) await writeFile(join(cwd, name), content);
  });

  const expected: [string, boolean][] = [
    ['notes.txt', false],
    ['README.md', false],
    ['noext', false],
    ['missing.txt', false],
    ['folder', true],
    ['folder/', true],
    ['*.md', true],
    ['docs/**/*.txt', true],
    ['report.pdf', true],
    ['scan', true],
    ['pdf-notes.md', false],
    ['memo.docx', true],
    ['page.html', true],
    ['saved.txt', true],
    ['data.json', true],
    ['events.jsonl', true],
    ['table.csv', true],
    ['logo.png', true],
  ];
  for (const [source, corpus] of expected) {
    it(`${source}: ${corpus ? 'a corpus' : 'plain text'}`, async () => {
      assert.equal(await isCorpusSource(source, cwd), corpus);
    });
  }
});
