import assert from 'node:assert/strict';
import { open, writeFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createOpenAIModel, loadCorpus, PythonSandbox, RLM, type RlmEvent } from '../src/index.ts';
import { byTurn, repl } from '../src/testing/index.ts';
import { withScriptedServer } from './support/scripted.ts';
import { runCli } from './cli/support.ts';
import { makeCodeBase } from './inputs/make-code-base.ts';
import { makeDocx } from './inputs/make-docx.ts';
import { makePdf } from './inputs/make-pdf.ts';
import { Watch } from './attacks/support.ts';
import { tempDir } from './inputs/temp-dir.ts';

after(() => PythonSandbox.coolDown());

describe('a corpus of files as the context', () => {
  it('rlm ask -c <folder>: a 1,000-file code base behind a .gitignore; the root finds a function by path', async () => {
    const root = await tempDir();
    const base = await makeCodeBase(root, 1000);
    const code = `const doc = context.find((d) => d.path === ${JSON.stringify(base.needle.path)});\nFINAL(doc.path + ' defines ' + doc.text.match(/function (\\w+)/)[1])`;
    await withScriptedServer(byTurn([repl(code)]), async (url, seen) => {
      const run = await runCli(['ask', '-c', root, '--base-url', url, '-m', 'm', 'Where is the invoice total computed?'], {
        env: { RLM_API_KEY: 'k' },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), `${base.needle.path} defines ${base.needle.name}`);
      // One summary line: what was loaded, what was left out and why.
      const summary = run.stderr.split('\n').find((line) => line.startsWith('rlm: context: '));
      assert.ok(summary, run.stderr);
      assert.match(summary, /1,00\d files/);
      assert.match(summary, /ignored \(.*node_modules\//);
      assert.match(summary, /binary/);
      // The root model is told the documents by path and size, the first hundred, then a count.
      const first = seen[0]!.messages.find((m) => m.role === 'user')!.content;
      assert.match(first, /corpus of 1,00\d documents/);
      assert.match(first, /\n0: \.gitignore \(text, /);
      assert.match(first, /\.\.\. and 9\d\d more/);
      assert.doesNotMatch(first, /node_modules\/\w/);
    });
  });

  it('answers from a PDF page, a DOCX, CSV records and JSON Lines, each fact only in its file (JS and Python)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'report.pdf'), makePdf(['Quarterly report', 'The launch code is HELIOTROPE-7.']));
    await writeFile(join(dir, 'memo.docx'), makeDocx(['Memo to staff', 'The offsite moves to Lisbon.']));
    await writeFile(join(dir, 'sales.csv'), 'region,amount,note\nnorth,10,"big, early"\nsouth,4,x\nnorth,7,"two\nlines"\n');
    await writeFile(
      join(dir, 'events.jsonl'),
      '{"user":"ana","action":"login"}\n{"user":"bo","action":"logout"}\n{"user":"ana","action":"buy"}\n',
    );
    const js = [
      'const byKind = Object.fromEntries(context.map((d) => [d.kind, d]));',
      'const code = byKind.pdf.pages[1].match(/[A-Z]+-\\d/)[0];',
      'const city = byKind.docx.text.match(/moves to (\\w+)/)[1];',
      "const north = byKind.csv.records.filter((r) => r.region === 'north').reduce((s, r) => s + Number(r.amount), 0);",
      "const ana = byKind.jsonl.records.filter((r) => r.user === 'ana').length;",
      "FINAL([code, city, north, ana].join(' '))",
    ].join('\n');
    const py = [
      "by_kind = {d['kind']: d for d in context}",
      'import re',
      "code = re.search(r'[A-Z]+-\\d', by_kind['pdf']['pages'][1]).group(0)",
      "city = re.search(r'moves to (\\w+)', by_kind['docx']['text']).group(1)",
      "north = sum(int(r['amount']) for r in by_kind['csv']['records'] if r['region'] == 'north')",
      "ana = len([r for r in by_kind['jsonl']['records'] if r['user'] == 'ana'])",
      "FINAL(f'{code} {city} {north} {ana}')",
    ].join('\n');
    for (const [language, code] of [
      ['javascript', js],
      ['python', py],
    ] as const) {
      await withScriptedServer(byTurn([repl(code)]), async (url) => {
        const rlm = new RLM({ model: createOpenAIModel({ model: 'm', baseURL: url, apiKey: 'k' }), repl: language });
        const result = await rlm.run({ context: await loadCorpus([dir]), query: 'Facts?' });
        assert.equal(result.answer, 'HELIOTROPE-7 Lisbon 17 2', `${language}: ${result.error?.message}`);
      });
    }
  });

  it('a 2 GiB corpus with a 512 MiB REPL stays on disk: the REPL reads one document on demand and answers', async (t) => {
    const dir = await tempDir();
    const files = 256;
    const size = 8 * 1024 * 1024;
    await mkdir(join(dir, 'logs'));
    // Each file has a real text head (how a kind is told) and is sparse past it: 2 GiB on the
    // folder's books, without writing 2 GiB in a test.
    for (let i = 0; i < files; i++) {
      const name = join(dir, 'logs', `part-${String(i).padStart(4, '0')}.log.txt`);
      const handle = await open(name, 'w');
      const head = i === 137 ? 'checkpoint: the missing shipment is crate 5521\n' : `routine entries of part ${i}\n`;
      await handle.write(head.padEnd(16 * 1024, '.'));
      await handle.truncate(size);
      await handle.close();
    }
    const code = [
      "const at = context.findIndex((d) => d.path.endsWith('part-0137.log.txt'));",
      'const head = await read_document(at, 0, 200);',
      "FINAL(context.length + ' documents; ' + head.match(/crate \\d+/)[0])",
    ].join('\n');
    try {
      await withScriptedServer(byTurn([repl(code)]), async (url, seen) => {
        const events: RlmEvent[] = [];
        const rlm = new RLM({
          model: createOpenAIModel({ model: 'm', baseURL: url, apiKey: 'k' }),
          memoryLimitMb: 512,
          onEvent: (e) => events.push(e),
        });
        const corpus = await loadCorpus([dir], { memoryBudgetBytes: (512 * 1024 * 1024) / 4 });
        assert.equal(corpus.onDisk, true);
        assert.equal(corpus.totalBytes, files * size);
        const watch = new Watch();
        const result = await rlm.run({ context: corpus, query: 'Which crate is missing?' });
        const figures = await watch.stop();
        t.diagnostic(`REPL process peak ${figures.replPeakMb} MiB; host peak ${figures.hostPeakMb} MiB`);
        assert.ok(figures.replPeakMb > 0 && figures.replPeakMb < 512, `the REPL process peaked at ${figures.replPeakMb} MiB`);
        const cells = events.flatMap((e) => (e.type === 'cell-end' ? [e.output + (e.error ?? '')] : []));
        assert.equal(result.answer, '256 documents; crate 5521', cells.join('\n'));
        assert.ok(
          events.every((e) => e.type !== 'cell-end' || !e.restarted),
          'the REPL never ran out of memory',
        );
        assert.match(seen[0]!.messages.find((m) => m.role === 'user')!.content, /kept on disk/);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('read_document names only documents of the corpus (JS and Python)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.txt'), 'alpha');
    await writeFile(join(dir, 'b.txt'), 'beta');
    const code = [
      'const tries = [];',
      "for (const which of ['../../etc/passwd', '/etc/passwd', 7, -1]) {",
      '  try { tries.push(await read_document(which)); } catch (e) { tries.push(String(e.message).slice(0, 40)); }',
      '}',
      "FINAL(tries.join(' | ') + ' | ' + (await read_documents([0, ['b.txt', 1, 3]])).join(','))",
    ].join('\n');
    const python = [
      'tries = []',
      "for which in ['../../etc/passwd', '/etc/passwd', 7, -1]:",
      '    try:',
      '        tries.append(read_document(which))',
      '    except Exception as e:',
      '        tries.append(str(e)[:40])',
      "FINAL(' | '.join(tries) + ' | ' + ','.join(read_documents([0, ['b.txt', 1, 3]])))",
    ].join('\n');
    for (const [language, source] of [
      ['javascript', code],
      ['python', python],
    ] as const) {
      await withScriptedServer(byTurn([repl(source)]), async (url) => {
        const rlm = new RLM({ model: createOpenAIModel({ model: 'm', baseURL: url, apiKey: 'k' }), repl: language });
        const result = await rlm.run({ context: await loadCorpus([dir], { onDisk: true }), query: 'q' });
        assert.ok(result.answer, result.error?.message);
        assert.doesNotMatch(result.answer, /root:/);
        assert.match(result.answer, /alpha,et$/);
        assert.equal(result.answer.split(' | ').filter((part) => /no document/.test(part)).length, 4, `${language}: ${result.answer}`);
      });
    }
  });
});
