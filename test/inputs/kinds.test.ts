/**
 * One suite run against every document kind: loaded or kept on disk, a file is told the same
 * kind, `read()` gives the same text, and that text is the loaded document's `text`, with the
 * kind's fact in it.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCorpus, type DocumentKind, type LoadedDocument } from '../../src/inputs/index.ts';
import { makeDocx } from './make-docx.ts';
import { makePdf } from './make-pdf.ts';
import { tempDir } from './temp-dir.ts';

const KINDS: { kind: DocumentKind; name: string; content: string | Buffer; fact: string }[] = [
  { kind: 'text', name: 'notes.md', content: '# Notes\nthe text fact is 31', fact: 'the text fact is 31' },
  { kind: 'pdf', name: 'a.pdf', content: makePdf(['cover', 'the pdf fact is 32']), fact: 'the pdf fact is 32' },
  { kind: 'docx', name: 'a.docx', content: makeDocx(['title', 'the docx fact is 33']), fact: 'the docx fact is 33' },
  { kind: 'html', name: 'a.html', content: '<h1>t</h1><p>the html fact is <b>34</b></p>', fact: 'the html fact is 34' },
  { kind: 'json', name: 'a.json', content: '{"fact": "the json fact is 35"}', fact: 'the json fact is 35' },
  { kind: 'jsonl', name: 'a.jsonl', content: '{"n":1}\n{"fact":"the jsonl fact is 36"}\n', fact: 'the jsonl fact is 36' },
  { kind: 'csv', name: 'a.csv', content: 'k,fact\n1,"the csv fact is 37"\n', fact: 'the csv fact is 37' },
];

describe('every document kind, loaded and on disk', () => {
  for (const { kind, name, content, fact } of KINDS) {
    it(kind, async () => {
      const dir = await tempDir();
      await writeFile(join(dir, name), content);
      const loaded = await loadCorpus([dir], { onDisk: false });
      const onDisk = await loadCorpus([dir], { onDisk: true });
      assert.deepEqual(loaded.documents, [{ path: name, bytes: Buffer.byteLength(content), kind }]);
      assert.deepEqual(onDisk.documents, loaded.documents);
      const [doc] = loaded.contextValue() as unknown as LoadedDocument[];
      assert.ok(doc!.text.includes(fact), doc!.text);
      assert.equal(await loaded.read(0), doc!.text);
      assert.equal(await onDisk.read(name), doc!.text);
      assert.equal(await onDisk.read(0, 2, 9), doc!.text.slice(2, 9));
    });
  }
});
