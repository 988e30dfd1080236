/**
 * The generators: the same seed gives the same task; sizes are met; and every ground truth is
 * recomputed here by brute force from the context text alone, with labels inferred by rules of
 * this file (not the generator's), on small instances.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateTask, TASK_FAMILIES, type TaskInstance } from '../../src/tasks/index.ts';
import { LABEL_RULES, labelOf } from './label-rules.ts';

interface Row {
  month: string;
  date: Date;
  user: number;
  label: string;
}

/** Reads the records back from the context text, labelling each by rule. */
function readRows(context: string): Row[] {
  return context.split('\n').map((line) => {
    const match = /^Date: (\w+ \d+, \d+) \|\| User: (\d+) \|\| Instance: (.+)$/.exec(line);
    assert.ok(match, `a record line: ${line}`);
    const label = labelOf(match[3]!);
    assert.ok(label, `no rule labels: ${match[3]}`);
    const date = new Date(`${match[1]} UTC`);
    return {
      date,
      month: date.toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' }),
      user: Number(match[2]),
      label,
    };
  });
}

/** The answer to an OOLONG query, recomputed by brute force. */
function bruteOolong(task: TaskInstance): string {
  const rows = readRows(task.context);
  const question = task.query.split('\n\n').at(-1)!;
  const count = (label: string) => rows.filter((r) => r.label === label).length;
  let m: RegExpExecArray | null;
  if ((m = /^How many data points should be labelled '(\w+)'/.exec(question))) return String(count(m[1]!));
  if ((m = /^Which label is the (most|least) common/.exec(question))) {
    const labels = LABEL_RULES.map(([l]) => l).sort((a, b) => (m![1] === 'most' ? count(b) - count(a) : count(a) - count(b)));
    return labels[0]!;
  }
  if ((m = /^Is the label '(\w+)' more common than, less common than, or the same frequency as the label '(\w+)'/.exec(question))) {
    const [a, b] = [count(m[1]!), count(m[2]!)];
    return a > b ? 'more common than' : a < b ? 'less common than' : 'same frequency as';
  }
  if ((m = /^How many data points by user (\d+) should be labelled '(\w+)'/.exec(question))) {
    return String(rows.filter((r) => r.user === Number(m![1]) && r.label === m![2]).length);
  }
  if ((m = /^How many data points dated in (\w+ \d+) should be labelled '(\w+)'/.exec(question))) {
    return String(rows.filter((r) => r.month === m![1] && r.label === m![2]).length);
  }
  throw new Error(`unknown question: ${question}`);
}

/** The pairs of an OOLONG-Pairs query, recomputed by brute force over every pair of users. */
function brutePairs(task: TaskInstance): string[] {
  const rows = readRows(task.context);
  const question = task.query.split('\n\n').at(-1)!;
  const users = [...new Set(rows.map((r) => r.user))].sort((a, b) => a - b);
  const has = (user: number, k: number, label: string, after?: Date) =>
    rows.filter((r) => r.user === user && r.label === label && (!after || r.date > after)).length >= k;
  let test: (u: number, v: number) => boolean;
  let m: RegExpExecArray | null;
  if ((m = /where both users have at least (\d+) data points? labelled '(\w+)' dated after (\w+ \d+, \d+)\./.exec(question))) {
    const [k, label, after] = [Number(m[1]), m[2]!, new Date(`${m[3]} UTC`)];
    test = (u, v) => has(u, k, label, after) && has(v, k, label, after);
  } else if ((m = /where both users have at least (\d+) data points? labelled '(\w+)'\./.exec(question))) {
    const [k, label] = [Number(m[1]), m[2]!];
    test = (u, v) => has(u, k, label) && has(v, k, label);
  } else if (
    (m =
      /where one user has at least (\d+) data points? labelled '(\w+)' and the other at least (\d+) data points? labelled '(\w+)'\./.exec(
        question,
      ))
  ) {
    const [ka, a, kb, b] = [Number(m[1]), m[2]!, Number(m[3]), m[4]!];
    test = (u, v) => (has(u, ka, a) && has(v, kb, b)) || (has(u, kb, b) && has(v, ka, a));
  } else {
    throw new Error(`unknown question: ${question}`);
  }
  const pairs: string[] = [];
  for (const u of users) for (const v of users) if (u < v && test(u, v)) pairs.push(`(${u}, ${v})`);
  return pairs;
}

/** Which of the six OOLONG question kinds a question is. */
function kindOf(question: string): string {
  if (/^How many data points should/.test(question)) return 'count';
  if (/^How many data points by user/.test(question)) return 'per-user';
  if (/^How many data points dated in/.test(question)) return 'per-month';
  if (/^Which label is the most/.test(question)) return 'most';
  if (/^Which label is the least/.test(question)) return 'least';
  if (/^Is the label/.test(question)) return 'compare';
  return question;
}

describe('task generators', () => {
  it('the same seed gives the same task; another seed, another task', () => {
    for (const family of TASK_FAMILIES) {
      assert.deepEqual(generateTask(family, 8_000, 3, 11), generateTask(family, 8_000, 3, 11));
      assert.notEqual(generateTask(family, 8_000, 3, 11).context, generateTask(family, 8_000, 3, 12).context);
      assert.notEqual(generateTask(family, 8_000, 3, 11).context, generateTask(family, 8_000, 4, 11).context);
    }
  });

  it('meets the size asked for, from 8K to 10M tokens (about 4 characters a token)', () => {
    // codeqa is as large as its code base allows (codeqa.test.ts checks its sizes).
    for (const family of TASK_FAMILIES.filter((f) => f !== 'codeqa')) {
      for (const tokens of [8_000, 131_000, 10_000_000]) {
        const task = generateTask(family, tokens, 0, 1);
        assert.ok(
          task.context.length >= tokens * 4 && task.context.length < tokens * 4 * 1.01 + 1_000,
          `${family} at ${tokens}: ${task.context.length} characters`,
        );
        assert.match(task.id, new RegExp(`^${family}-`));
      }
    }
  });

  it('S-NIAH: exactly one needle, its value the answer, the key in the query', () => {
    for (let index = 0; index < 12; index++) {
      const task = generateTask('sniah', 8_000, index, 5);
      const needles = [...task.context.matchAll(/The special magic (number|uuid|phrase) for ([\w-]+) is: ([^\n]+)\./g)];
      assert.equal(needles.length, 1);
      assert.equal(needles[0]![3], task.answer);
      assert.ok(task.query.includes(needles[0]![2]!) && task.query.includes(needles[0]![1]!));
    }
  });

  it('OOLONG: every question kind, its answer recomputed by brute force from the text', () => {
    const kinds = new Set<string>();
    for (let index = 0; index < 18; index++) {
      const task = generateTask('oolong', 8_000 + 2_000 * (index % 3), index, 9);
      assert.equal(task.answer, bruteOolong(task), task.query.split('\n\n').at(-1));
      kinds.add(kindOf(task.query.split('\n\n').at(-1)!));
    }
    assert.deepEqual([...kinds].sort(), ['compare', 'count', 'least', 'most', 'per-month', 'per-user']);
  });

  it('OOLONG-Pairs: the pairs recomputed by brute force over every pair of users', () => {
    for (let index = 0; index < 9; index++) {
      const task = generateTask('oolong-pairs', 8_000 + 4_000 * (index % 3), index, 13);
      const truth = brutePairs(task);
      assert.deepEqual(task.answer.split('\n').filter(Boolean), truth);
      assert.ok(truth.length > 0, 'some pairs qualify');
    }
  });
});
