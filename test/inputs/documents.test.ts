/**
 * Document kinds, from real files the tests write: PDF (make-pdf.ts), DOCX (make-docx.ts), CSV,
 * JSON Lines, JSON and HTML, each carrying a fact found only in it; and the one-line errors for
 * a file named explicitly that is corrupt, binary or too large.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RlmError } from '../../src/errors.ts';
import { loadCorpus, type LoadedDocument } from '../../src/inputs/index.ts';
import { makeDocx, makeZip } from './make-docx.ts';
import { makePdf } from './make-pdf.ts';
import { tempDir } from './temp-dir.ts';

async function only(name: string, content: string | Buffer): Promise<LoadedDocument> {
  const dir = await tempDir();
  await writeFile(join(dir, name), content);
  const corpus = await loadCorpus([name], { cwd: dir });
  assert.equal(corpus.documents.length, 1);
  return (corpus.contextValue() as unknown as LoadedDocument[])[0]!;
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

describe('document kinds', () => {
  it('pdf: the text of each page, and the pages joined by a form feed', async () => {
    const doc = await only('report.pdf', makePdf(['Quarterly report\nRevenue rose (a little).', 'Appendix: the vault code is 4217.']));
    assert.equal(doc.kind, 'pdf');
    assert.equal(doc.pages?.length, 2);
    assert.match(doc.pages![1]!, /the vault code is 4217\./);
    assert.doesNotMatch(doc.pages![0]!, /4217/);
    assert.match(doc.pages![0]!, /Revenue rose \(a little\)\./);
    assert.equal(doc.text, doc.pages!.join('\f'));
  });

  it('docx: the text of its paragraphs', async () => {
    const doc = await only('memo.docx', makeDocx(['Memo to staff', 'The docx-only fact: 99 red balloons & one kite.']));
    assert.equal(doc.kind, 'docx');
    assert.match(doc.text, /Memo to staff\n+The docx-only fact: 99 red balloons & one kite\./);
  });

  it('docx: told by content when the name does not say', async () => {
    const doc = await only('memo', makeDocx(['Nameless but Word']));
    assert.equal(doc.kind, 'docx');
    assert.match(doc.text, /Nameless but Word/);
  });

  it('csv: records keyed by the header, quoted commas, quotes and line breaks kept, values as strings', async () => {
    const csv = 'id,name,note\r\n007,"Smith, Jane","said ""hi""\non two lines"\r\n8,Lee,plain\r\n';
    const doc = await only('people.csv', csv);
    assert.equal(doc.kind, 'csv');
    assert.deepEqual(doc.records, [
      { id: '007', name: 'Smith, Jane', note: 'said "hi"\non two lines' },
      { id: '8', name: 'Lee', note: 'plain' },
    ]);
    assert.equal(doc.text, csv);
  });

  it('jsonl: one record per line, blank lines skipped', async () => {
    const doc = await only('events.jsonl', '{"event":"login","user":"ada"}\n\n{"event":"logout","user":"ada","secret":"zebra-42"}\n');
    assert.equal(doc.kind, 'jsonl');
    assert.deepEqual(doc.records, [
      { event: 'login', user: 'ada' },
      { event: 'logout', user: 'ada', secret: 'zebra-42' },
    ]);
  });

  it('json: the parsed data, and the text as written', async () => {
    const text = '\ufeff{"config": {"port": 8443, "tags": ["blue"]}}';
    const doc = await only('settings.json', text);
    assert.equal(doc.kind, 'json');
    assert.deepEqual(doc.data, { config: { port: 8443, tags: ['blue'] } });
    assert.equal(doc.text, text.slice(1));
  });

  it('json: a .json that does not parse is kept as text', async () => {
    const doc = await only('broken.json', '{"a": 1,, }');
    assert.equal(doc.kind, 'text');
    assert.equal(doc.data, undefined);
  });

  it('html: readable text, scripts and styles dropped, headings and paragraphs kept, entities decoded', async () => {
    const html =
      '<!DOCTYPE html><html><head><title>Field notes</title><style>p { color: red }</style>' +
      '<script>var hidden = "not text";</script></head><body><h1>Findings</h1>' +
      '<p>The river&rsquo;s depth is <b>12&nbsp;m</b> &amp; rising.</p><p>Second&#x21;</p></body></html>';
    const doc = await only('page.html', html);
    assert.equal(doc.kind, 'html');
    assert.equal(doc.text, 'Field notes\n\n# Findings\n\nThe river\u2019s depth is 12\u00a0m & rising.\n\nSecond!');
  });

  it('html: told by content in a file of another name', async () => {
    const doc = await only('saved.txt', '  <!doctype html><p>Hello <i>there</i></p>');
    assert.equal(doc.kind, 'html');
    assert.equal(doc.text, 'Hello there');
  });

  it('text: anything else that is UTF-8, without its BOM', async () => {
    const doc = await only('notes.md', '\ufeff# Notes\nplain');
    assert.deepEqual(doc, { path: 'notes.md', bytes: 16, kind: 'text', text: '# Notes\nplain' });
  });

  it('a PDF, a DOCX and a CSV side by side in a folder, in path order', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'b.pdf'), makePdf(['pdf fact']));
    await writeFile(join(dir, 'docs', 'a.docx'), makeDocx(['docx fact']));
    await writeFile(join(dir, 'c.csv'), 'k,v\nfact,csv\n');
    const corpus = await loadCorpus([dir]);
    assert.deepEqual(
      corpus.documents.map((d) => `${d.path}:${d.kind}`),
      ['c.csv:csv', 'docs/a.docx:docx', 'docs/b.pdf:pdf'],
    );
  });
});

describe('errors for a file named explicitly; skips in a folder', () => {
  it('a corrupt PDF is one line naming it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'report.pdf'), Buffer.concat([makePdf(['x']).subarray(0, 40), Buffer.from('garbage')]));
    await rejectsInput(loadCorpus(['report.pdf'], { cwd: dir }), /^cannot read report\.pdf: not a readable PDF \(.+\)$/);
  });

  it('a .pdf that is no PDF at all', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'report.pdf'), 'just text');
    await rejectsInput(loadCorpus(['report.pdf'], { cwd: dir }), /^cannot read report\.pdf: not a PDF \(bad header\)$/);
  });

  it('a .docx that is a zip without a Word document', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'memo.docx'), makeZip([{ name: 'hello.txt', data: 'hi' }]));
    await rejectsInput(loadCorpus(['memo.docx'], { cwd: dir }), /^cannot read memo\.docx: not a readable DOCX \(.+\)$/);
  });

  it('a bad JSON Lines line, named by its number', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'log.jsonl'), '{"a":1}\n{"a":2}\n{"a":\n');
    await rejectsInput(loadCorpus(['log.jsonl'], { cwd: dir }), /^cannot read log\.jsonl: line 3 is not valid JSON/);
  });

  it('a CSV with a quote that never closes', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 't.csv'), 'a,b\n1,"open\n2,3\n');
    await rejectsInput(loadCorpus(['t.csv'], { cwd: dir }), /^cannot read t\.csv: unterminated quoted field starting on line 2$/);
  });

  it('a binary file', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]));
    await rejectsInput(loadCorpus(['logo.png'], { cwd: dir }), /^cannot read logo\.png: a binary file \(neither text nor a pdf, docx/);
  });

  it('a text file that is not UTF-8, with a way to convert it', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'latin1.txt'), Buffer.from('caf\xe9 au lait', 'latin1'));
    await rejectsInput(loadCorpus(['latin1.txt'], { cwd: dir }), /^cannot read latin1\.txt: not UTF-8 text .*; convert it, e\.g\. iconv/);
    // In a folder it is listed with the binaries.
    await writeFile(join(dir, 'ok.txt'), 'fine');
    assert.deepEqual((await loadCorpus([dir])).skipped, [{ path: 'latin1.txt', reason: 'binary' }]);
  });

  it('a UTF-8 character cut by the end of the first 8 KiB is not taken for invalid UTF-8', async () => {
    const doc = await only('wide.txt', 'a' + 'é'.repeat(5000));
    assert.equal(doc.kind, 'text');
    assert.equal(doc.text.length, 5001);
  });

  it('a file over the size cap', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'big.log'), 'x'.repeat(3000));
    await rejectsInput(
      loadCorpus(['big.log'], { cwd: dir, maxFileBytes: 2048 }),
      /^cannot read big\.log: 2\.9 KiB, over the 2 KiB limit \(maxFileBytes\)$/,
    );
  });

  it('in a folder, the same files are skipped, each with its reason', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'bad.pdf'), Buffer.concat([makePdf(['x']).subarray(0, 40), Buffer.from('garbage')]));
    await writeFile(join(dir, 'fake.pdf'), 'just text');
    await writeFile(join(dir, 'log.jsonl'), '{"a":\n');
    await writeFile(join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]));
    await writeFile(join(dir, 'ok.txt'), 'fine');
    const corpus = await loadCorpus([dir]);
    assert.deepEqual(
      corpus.documents.map((d) => d.path),
      ['ok.txt'],
    );
    assert.deepEqual(
      corpus.skipped.map((s) => [s.path, s.reason]),
      [
        ['bad.pdf', 'unreadable'],
        ['fake.pdf', 'unreadable'],
        ['log.jsonl', 'unreadable'],
        ['logo.png', 'binary'],
      ],
    );
    assert.equal(corpus.skipped.find((s) => s.path === 'fake.pdf')?.detail, 'not a PDF (bad header)');
    assert.match(
      corpus.summary(),
      /^1 file, 4 bytes from .*; skipped: 1 binary \(logo\.png\), 3 unreadable \(bad\.pdf, fake\.pdf, log\.jsonl\)$/,
    );
  });
});
