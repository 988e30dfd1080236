/**
 * The baselines `summary` and `retrieval`, and per-run traces, through real HTTP with scripted
 * models: what each method sends (sizes within the window, notes carried from part to part, the
 * passages BM25 picked) and what it scores with a model that answers from what it is shown.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import MiniSearch from 'minisearch';
import { chunkText, type TextChunk } from '../../src/benchmark/chunks.ts';
import { RETRIEVAL_PROMPT_START, rankPassages } from '../../src/benchmark/retrieval.ts';
import { runBenchmark } from '../../src/benchmark/runner.ts';
import { SUMMARY_ANSWER_START, SUMMARY_PART_START } from '../../src/benchmark/summary.ts';
import { createOpenAIModel, readTrace } from 'rlm';
import { generateTask } from '../../src/tasks/index.ts';
import { startScriptedServer, type ScriptedModelServer, type ScriptedRequest } from 'rlm/testing';
// The viewer's model is the core's own, not its public API: this checks the two packages agree.
import { buildViewModel } from '../../../../src/trace/view-model.ts';
import { benchModel } from './scripted-models.ts';

/** The one user message of a baseline's request. */
const promptOf = (request: { messages: ReadonlyArray<{ role: string; content: string }> }): string =>
  request.messages.findLast((m) => m.role === 'user')!.content;

describe('chunkText', () => {
  it('keeps every character once, in order, within the size, cut at paragraph or line breaks where it can', () => {
    const text =
      Array.from({ length: 300 }, (_, i) => (i % 7 === 6 ? `line ${i}\n` : `line ${i} of a paragraph\n`)).join('') +
      'no newline at the end'.repeat(40);
    for (const size of [1, 50, 333, 4_000, 100_000]) {
      const chunks = chunkText(text, size);
      assert.equal(chunks.map((c) => c.text).join(''), text);
      chunks.forEach((chunk, i) => {
        assert.equal(chunk.index, i);
        assert.equal(text.slice(chunk.start, chunk.start + chunk.text.length), chunk.text);
        assert.ok(chunk.text.length <= size && chunk.text.length > 0);
      });
      if (size === 333)
        assert.ok(
          chunks.slice(0, 10).every((c) => c.text.endsWith('\n')),
          'cut after a line',
        );
    }
    const paragraphs = chunkText('a'.repeat(60) + '\n\n' + 'b'.repeat(30) + '\n' + 'c'.repeat(30), 100);
    // The paragraph break in the second half wins over the later line break.
    assert.deepEqual(
      paragraphs.map((c) => c.text.length),
      [62, 61],
    );
    assert.throws(() => chunkText('abc', 0), /at least one character/);
  });
});

describe('rankPassages (BM25)', () => {
  it('puts the passage with the rare query terms first', () => {
    const chunks = chunkText(
      ['The harbor was quiet that morning.', 'Rare words: zephyr quokka.', 'The harbor again, and the harbor.', 'Nothing here.'].join(
        '\n\n',
      ),
      40,
    );
    assert.equal(rankPassages(chunks, 'where is the quokka', 1)[0]!.text.trim(), 'Rare words: zephyr quokka.');
    assert.equal(rankPassages(chunks, 'harbor', 5).length, 2);
  });

  it('ranks as a full index would, though it indexes only the query terms', () => {
    const fullIndexRanking = (chunks: readonly TextChunk[], query: string) => {
      const index = new MiniSearch<TextChunk>({ idField: 'index', fields: ['text'], storeFields: [] });
      index.addAll(chunks);
      return index.search(query, { combineWith: 'OR', bm25: { k: 1.2, b: 0.75, d: 0 } }).map((hit) => hit.id as number);
    };
    for (const family of ['sniah', 'oolong', 'browsecomp'] as const) {
      for (const index of [0, 1, 2]) {
        const task = generateTask(family, 32_000, index, 7);
        const chunks = chunkText(task.context, 2_000);
        const ranked = rankPassages(chunks, task.query, chunks.length).map((chunk) => chunk.index);
        assert.ok(ranked.length > 1, `${task.id}: more than one passage matched`);
        assert.deepEqual(ranked, fullIndexRanking(chunks, task.query), task.id);
      }
    }
  });
});

describe('a prompt the provider finds too long', () => {
  /** A bench model behind a window of `limit` tokens counted at 3 characters a token, refused in a provider's words. */
  const strict = (limit: number, refusal: (tokens: number) => string) => (request: ScriptedRequest) => {
    const tokens = Math.ceil(request.messages.reduce((sum, m) => sum + m.content.length, 0) / 3);
    return tokens > limit ? { fail: { status: 400, message: refusal(tokens) } } : benchModel(request);
  };
  const refusals = {
    openai: (tokens: number) => `This model's maximum context length is 24000 tokens. However, your messages resulted in ${tokens} tokens.`,
    anthropic: (tokens: number) => `prompt is too long: ${tokens} tokens > 24000 maximum`,
    'no numbers': () => 'Request too long for this model',
  };

  for (const [provider, refusal] of Object.entries(refusals)) {
    it(`direct cuts the context further and asks again (${provider}'s refusal)`, async () => {
      const server = await startScriptedServer({ script: strict(24_000, refusal) });
      try {
        const task = generateTask('sniah', 131_000, 2, 5);
        const setup = { model: createOpenAIModel({ model: 'root', baseURL: server.url }), windowTokens: 32_000 };
        const { rows } = await runBenchmark({
          tasks: [task],
          methods: ['direct'],
          setup,
          resultsPath: join(await mkdtemp(join(tmpdir(), 'rlm-too-long-')), 'r.jsonl'),
        });
        const row = rows[0]!;
        assert.equal(row.status, 'done', row.error);
        const answered = server.requests.filter((r) => r.status === 200);
        assert.equal(answered.length, 1);
        assert.ok(promptOf(answered[0]!).length <= 24_000 * 3, 'the prompt that was answered fits');
        assert.ok(row.cut!.shownChars < 30_000 * 4 && row.cut!.shownChars > 24_000 * 3 * 0.6, `shown ${row.cut!.shownChars}`);
        assert.ok(server.requests.length <= 3, `${server.requests.length} requests`);
      } finally {
        await server.close();
      }
    });
  }

  it('summary cuts the rest of the context into smaller parts, keeping its notes, and still finds the needle', async () => {
    const server = await startScriptedServer({ script: strict(24_000, refusals.openai) });
    try {
      const task = generateTask('sniah', 131_000, 3, 5);
      const setup = {
        model: createOpenAIModel({ model: 'root', baseURL: server.url }),
        subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
        windowTokens: 32_000,
      };
      const { rows } = await runBenchmark({
        tasks: [task],
        methods: ['summary'],
        setup,
        resultsPath: join(await mkdtemp(join(tmpdir(), 'rlm-too-long-')), 'r.jsonl'),
      });
      assert.equal(rows[0]!.score, 1, `${rows[0]!.answer} against ${rows[0]!.truth} (${rows[0]!.error ?? ''})`);
      const read = server.requests.filter((r) => r.status === 200 && promptOf(r).startsWith(SUMMARY_PART_START));
      assert.equal(read.length, rows[0]!.summarised!.parts);
      // Every character of the context was read once, in parts that fit.
      const texts = read.map(
        (r) =>
          promptOf(r)
            .split(/\nPart \d+ of \d+:\n/)[1]!
            .split('\n\nWrite the updated notes')[0]!,
      );
      assert.equal(texts.join(''), task.context);
      assert.equal(server.requests.filter((r) => r.status !== 200).length, 1, 'one refusal');
    } finally {
      await server.close();
    }
  });
});

describe('summary and retrieval, offline, with scripted models', () => {
  let server: ScriptedModelServer;
  let dir: string;
  const setup = () => ({
    model: createOpenAIModel({ model: 'root', baseURL: server.url }),
    subModel: createOpenAIModel({ model: 'sub', baseURL: server.url }),
    windowTokens: 32_000,
  });
  before(async () => {
    server = await startScriptedServer({ script: benchModel });
    dir = await mkdtemp(join(tmpdir(), 'rlm-baselines-'));
  });
  after(() => server.close());

  it('summary reads a 1M-token needle task in window-sized parts, carries its notes, and answers from them', async () => {
    const task = generateTask('sniah', 1_000_000, 0, 5);
    const from = server.requests.length;
    const { rows } = await runBenchmark({ tasks: [task], methods: ['summary'], setup: setup(), resultsPath: join(dir, 'summary.jsonl') });
    const row = rows[0]!;
    assert.equal(row.score, 1, `${row.answer} against ${row.truth}`);
    const requests = server.requests.slice(from);
    const parts = requests.filter((r) => promptOf(r).startsWith(SUMMARY_PART_START));
    assert.equal(row.summarised?.parts, parts.length);
    assert.ok(parts.length >= 30 && parts.length <= 40, `${parts.length} parts of 1M tokens in a 32K window`);
    assert.ok(
      parts.every((r) => r.model === 'sub' && promptOf(r).length <= 30_000 * 4),
      'each part is written by the sub-model, within the window',
    );
    // Notes carry over: once the needle's part is read, every later part's prompt holds it.
    const needle = parts.findIndex((r) => promptOf(r).includes(`is: ${task.answer}.`));
    assert.ok(needle >= 0);
    for (const later of parts.slice(needle + 1)) assert.match(promptOf(later).split('\n\nPart ')[0]!, new RegExp(`is: ${task.answer}`));
    const last = requests.at(-1)!;
    assert.equal(last.model, 'root');
    assert.ok(promptOf(last).startsWith(SUMMARY_ANSWER_START) && promptOf(last).length < 40_000);
    assert.equal(row.calls, parts.length + 1);
  });

  it("summary cuts its parts for the sub-model when its known window is smaller than the base model's", async () => {
    // gpt-4.1 (about 1M tokens) answers, gpt-4o-mini (128K) reads: 2M tokens in parts of at most 128K.
    const task = generateTask('sniah', 2_000_000, 1, 5);
    const from = server.requests.length;
    const models = {
      model: createOpenAIModel({ model: 'gpt-4.1', baseURL: server.url }),
      subModel: createOpenAIModel({ model: 'gpt-4o-mini', baseURL: server.url }),
    };
    const { rows } = await runBenchmark({
      tasks: [task],
      methods: ['summary'],
      setup: models,
      resultsPath: join(dir, 'summary-windows.jsonl'),
    });
    assert.equal(rows[0]!.score, 1, `${rows[0]!.answer} against ${rows[0]!.truth}`);
    const parts = server.requests.slice(from).filter((r) => promptOf(r).startsWith(SUMMARY_PART_START));
    assert.ok(parts.length >= 16 && parts.length <= 20, `${parts.length} parts`);
    assert.ok(
      parts.every((r) => r.model === 'gpt-4o-mini' && promptOf(r).length <= 128_000 * 4),
      "every part fits the reader's window",
    );
  });

  it('summary keeps running counts well enough for a plain count, not for one per user', async () => {
    const count = generateTask('oolong', 131_000, 0, 5);
    const perUser = generateTask('oolong', 131_000, 4, 5);
    assert.match(count.query, /How many data points should be labelled/);
    assert.match(perUser.query, /How many data points by user/);
    const { rows } = await runBenchmark({
      tasks: [count, perUser],
      methods: ['summary'],
      setup: setup(),
      resultsPath: join(dir, 'summary-oolong.jsonl'),
      concurrency: 1,
    });
    assert.equal(rows[0]!.score, 1, `${rows[0]!.answer} against ${rows[0]!.truth}`);
    assert.ok(rows[1]!.score < 0.5, `per user from notes without users: ${rows[1]!.answer} against ${rows[1]!.truth}`);
  });

  it('retrieval shows the base model the BM25 top passages, in context order, within the window', async () => {
    const tasks = [0, 1, 2].map((index) => generateTask('sniah', 1_000_000, index, 5));
    const from = server.requests.length;
    const { rows } = await runBenchmark({
      tasks,
      methods: ['retrieval'],
      setup: setup(),
      resultsPath: join(dir, 'retrieval.jsonl'),
      concurrency: 1,
    });
    for (const row of rows) {
      assert.equal(row.score, 1, `${row.taskId}: ${row.answer} against ${row.truth}`);
      assert.equal(row.calls, 1);
      assert.deepEqual(row.retrieved, { passages: 20, of: row.retrieved!.of });
      assert.ok(row.retrieved!.of >= 1_000);
    }
    for (const request of server.requests.slice(from)) {
      assert.equal(request.model, 'root');
      assert.ok(promptOf(request).startsWith(RETRIEVAL_PROMPT_START));
      assert.ok(promptOf(request).length <= 30_000 * 4, 'within the window');
      const shown = [...promptOf(request).matchAll(/\[Passage (\d+) of \d+, characters/g)].map((m) => Number(m[1]));
      assert.equal(shown.length, 20);
      assert.deepEqual(
        shown,
        [...shown].sort((a, b) => a - b),
      );
    }
  });

  it('writes a trace for every run, which the viewer reads; the context once beside them', async () => {
    const task = generateTask('sniah', 16_000, 0, 9);
    const traces = join(dir, 'traces');
    const { rows } = await runBenchmark({
      tasks: [task],
      methods: ['rlm', 'direct', 'summary', 'retrieval'],
      setup: setup(),
      resultsPath: join(dir, 'traced.jsonl'),
      tracesDir: traces,
    });
    assert.equal(rows.length, 4);
    for (const row of rows) {
      assert.equal(row.trace, join(traces, `${task.id}.${row.method}.jsonl`));
      const trace = await readTrace(row.trace!);
      const view = buildViewModel(trace);
      assert.equal(view.summary.answer, row.answer);
      assert.equal(view.summary.totals.calls, row.calls, `${row.method}: every call is in the tree`);
    }
    assert.equal(await readFile(join(traces, `${task.id}.context.txt`), 'utf8'), task.context);
  });
});
