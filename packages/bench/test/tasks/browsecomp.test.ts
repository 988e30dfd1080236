/**
 * The BrowseComp-style generator: the same seed gives the same task; sizes are met; and on many
 * small instances the answer is recomputed by brute force from the context text alone, read with
 * the rules of browsecomp-rules.ts (not the generator's world), and found to be the only one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { browseCompWorld, generateBrowseComp } from '../../src/tasks/browsecomp.ts';
import { scoreAnswer } from '../../src/tasks/scoring.ts';
import type { TaskInstance } from '../../src/tasks/task.ts';
import { factsOf, NAME, parseDocuments, questionPlan, type Doc, type Relation } from './browsecomp-rules.ts';

/** What each kind of document states, one value each; news items state none. */
const KINDS: Record<string, Relation[]> = {
  person: ['born', 'employer'],
  organisation: ['founder', 'founded-year', 'hq'],
  city: ['country'],
  event: ['venue', 'organiser'],
  news: [],
};

/** The question of a query: its last paragraph. */
function questionOf(task: TaskInstance): string {
  return task.query.split('\n\n').at(-1)!;
}

/**
 * Reads every document, checks each states exactly the facts of one kind of subject (one value
 * each, about the document's own title), then follows the question's relations from the title
 * named in it. Returns the answer and the documents read.
 */
function bruteForce(task: TaskInstance): { answer: string; evidence: number[]; docs: Doc[] } {
  const docs = parseDocuments(task.context);
  assert.deepEqual(
    docs.map((d) => d.id),
    docs.map((_, i) => i + 1),
    'documents numbered 1 to n in order',
  );
  assert.match(task.query, new RegExp(`collection of ${docs.length.toLocaleString('en-US')} documents`));
  const facts = new Map<string, Map<Relation, string>>();
  const byTitle = new Map<string, Doc>();
  for (const doc of docs) {
    assert.ok(!byTitle.has(doc.title), `one document titled ${doc.title}`);
    byTitle.set(doc.title, doc);
    const found = factsOf(doc.body);
    const stated = [...found.keys()].sort();
    const kind = Object.entries(KINDS).find(
      ([, relations]) => relations.length === stated.length && [...relations].sort().every((r, i) => r === stated[i]),
    );
    assert.ok(kind, `document ${doc.id} (${doc.title}) states a mix: ${stated.join(', ')}`);
    const values = new Map<Relation, string>();
    for (const [relation, list] of found) {
      assert.equal(list.length, 1, `document ${doc.id} states its ${relation} once: ${JSON.stringify(list)}`);
      if (list[0]!.subject !== undefined) assert.equal(list[0]!.subject, doc.title, `document ${doc.id} speaks of itself`);
      values.set(relation, list[0]!.value);
    }
    facts.set(doc.title, values);
  }
  // A chief executive's own profile names the organisation they run as their employer.
  for (const doc of docs) {
    for (const match of doc.body.matchAll(
      new RegExp(`(?:chief executive is|run day to day by) (${NAME})\\.|(${NAME}) has led the \\w+ as chief executive`, 'g'),
    )) {
      assert.equal(facts.get(match[1] ?? match[2]!)?.get('employer'), doc.title, `the chief executive of ${doc.title} works there`);
    }
  }
  const plan = questionPlan(questionOf(task));
  assert.ok(plan, `a question of a known form: ${questionOf(task)}`);
  let name = plan.start;
  const evidence: number[] = [];
  for (const step of plan.steps) {
    const doc = byTitle.get(name);
    assert.ok(doc, `a document titled ${name}`);
    const value = facts.get(name)!.get(step);
    assert.ok(value, `document ${doc.id} (${name}) states the ${step}`);
    evidence.push(doc.id);
    name = value;
  }
  return { answer: name, evidence, docs };
}

/** Edit distance, for confusable names. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

describe('BrowseComp-style tasks', () => {
  it('the same seed gives the same task; another index or seed, another task', () => {
    assert.deepEqual(generateBrowseComp(8_000, 3, 11), generateBrowseComp(8_000, 3, 11));
    assert.deepEqual(browseCompWorld(8_000, 3, 11), browseCompWorld(8_000, 3, 11));
    const task = generateBrowseComp(8_000, 3, 11);
    assert.notEqual(task.context, generateBrowseComp(8_000, 3, 12).context);
    assert.notEqual(task.context, generateBrowseComp(8_000, 4, 11).context);
    assert.notEqual(task.query, generateBrowseComp(8_000, 3, 12).query);
    assert.equal(task.id, 'browsecomp-8k-3-s11');
    assert.equal(task.family, 'browsecomp');
  });

  it('every answer is recomputed by brute force from the text alone, and is the only one: 2 to 4 documents each', () => {
    const hops = new Map<number, number>();
    let confusableStarts = 0;
    const total = 48;
    for (let index = 0; index < total; index++) {
      const tokens = [8_000, 16_000, 32_000, 64_000][index % 4]!;
      const task = generateBrowseComp(tokens, index, 7);
      const { answer, evidence, docs } = bruteForce(task);
      const label = `${task.id}: ${questionOf(task)}`;
      assert.equal(answer, task.answer, label);
      assert.deepEqual(evidence, browseCompWorld(tokens, index, 7).question.evidence, label);
      assert.equal(new Set(evidence).size, evidence.length, `${label}: each hop in its own document`);
      assert.ok(evidence.length >= 2 && evidence.length <= 4, label);
      assert.equal(evidence.length, 2 + (index % 3), `${label}: hops by index`);
      hops.set(evidence.length, (hops.get(evidence.length) ?? 0) + 1);
      // A confusable name: another document's title a letter or an ending away from the start's.
      const start = questionPlan(questionOf(task))!.start;
      if (docs.some((d) => d.title !== start && distance(d.title, start) <= 3)) confusableStarts++;
      assert.ok(task.options!.includes(task.answer), label);
      assert.ok(task.options!.length >= 4 && task.options!.length <= 8, `${label}: ${task.options!.length} options`);
      assert.match(task.query, /Answer with the (name|year) only\.$/);
    }
    assert.deepEqual([...hops.keys()].sort(), [2, 3, 4]);
    assert.ok(confusableStarts >= total * 0.8, `${confusableStarts} of ${total} start from a name with a confusable twin`);
  });

  it('distractors are in the text: confusable names, near misses and passing mentions', () => {
    const task = generateBrowseComp(64_000, 5, 3);
    const titles = parseDocuments(task.context).map((d) => d.title);
    const pairs = titles.flatMap((a, i) =>
      titles
        .slice(i + 1)
        .filter((b) => distance(a, b) <= 2)
        .map((b) => `${a} / ${b}`),
    );
    assert.ok(pairs.length >= 5, `confusable titles: ${pairs.join('; ')}`);
    // Past employers, chief executives, sponsors, former head offices, where people live now.
    assert.match(
      task.context,
      /\b(formerly worked at|previously worked for|Earlier in (her|his) career|left [A-Z]\w+ [A-Z]\w+ in \d{4})\b/,
    );
    assert.match(task.context, /chief executive|is run day to day by/);
    assert.match(task.context, /sponsor/);
    assert.match(task.context, /\b(Until \d{4}, it was based in|Its first offices were in|it left [A-Z]\w+ for its present home)/);
    assert.match(task.context, /\b(now lives in|grew up in|moved to [A-Z]\w+ some years ago)/);
    // News items name entities in passing.
    assert.match(
      task.context,
      /Document \d+: (Regional briefs|Business notes|Around the region|Culture roundup|The week in brief|Letters and notes), no\. \d+\n/,
    );
  });

  it('the options hold wrong answers a careless reader reaches, and score as exact answers', () => {
    for (let index = 0; index < 9; index++) {
      const task = generateBrowseComp(16_000, index, 5);
      const wrong = task.options!.filter((o) => o !== task.answer);
      assert.equal(scoreAnswer(task, task.answer), 1);
      assert.equal(scoreAnswer(task, `${task.answer}.`), 1);
      assert.equal(scoreAnswer(task, `The answer is ${task.answer}.`), 1);
      assert.equal(scoreAnswer(task, `It was ${task.answer}, as the documents show.`), 1);
      for (const option of wrong) {
        assert.equal(scoreAnswer(task, option), 0, `${task.id}: ${option}`);
        assert.equal(scoreAnswer(task, `${task.answer} or ${option}`), 0, 'naming two options is not an answer');
      }
    }
  });

  it('a confusable twin of the answer scores 0', () => {
    // Person answers (who founded...) have twins among the options when the founder has one.
    let checked = 0;
    for (let index = 3; index < 60 && checked < 3; index += 18) {
      const task = generateBrowseComp(32_000, index, 9);
      const twin = task.options!.find((o) => o !== task.answer && distance(o, task.answer) <= 2);
      if (!twin) continue;
      assert.equal(scoreAnswer(task, twin), 0);
      assert.equal(scoreAnswer(task, `It was ${twin}.`), 0);
      checked++;
    }
    assert.ok(checked > 0, 'some answer has a confusable twin among the options');
  });

  it('meets the size asked for, from 8K to 10M tokens (about 4 characters a token)', () => {
    for (const tokens of [8_000, 131_000, 1_000_000, 10_000_000]) {
      const started = performance.now();
      const task = generateBrowseComp(tokens, 1, 2);
      const ms = performance.now() - started;
      const chars = tokens * 4;
      assert.ok(task.context.length >= chars && task.context.length < chars * 1.01 + 1_000, `${tokens}: ${task.context.length} characters`);
      if (tokens === 10_000_000) {
        assert.ok(ms < 5_000, `10M tokens in ${ms.toFixed(0)} ms`);
        const documents = Number(/collection of ([\d,]+) documents/.exec(task.query)![1]!.replaceAll(',', ''));
        assert.ok(documents >= 1_000, `${documents} documents`);
      }
    }
  });
});
