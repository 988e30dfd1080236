/**
 * OOLONG-style aggregation (trec_coarse): label nearly every record semantically, then count.
 * Questions: how many of a label; the most and least common label; one label against another;
 * a label per user; a label per month. Numeric answers score 0.75^|error|, the others exact.
 */
import { instanceSeed, Random } from './random.ts';
import {
  countBy,
  generateRecords,
  LABEL_DESCRIPTION,
  LABELS,
  monthName,
  recordsText,
  userIds,
  type Label,
  type TaskRecord,
} from './records.ts';
import { CHARS_PER_TOKEN, formatTokens, type TaskInstance } from './task.ts';

export type OolongQuestion = 'count' | 'most-common' | 'least-common' | 'compare' | 'per-user' | 'per-month';
export const OOLONG_QUESTIONS: readonly OolongQuestion[] = ['count', 'most-common', 'least-common', 'compare', 'per-user', 'per-month'];
export const COMPARISONS = ['more common than', 'less common than', 'same frequency as'] as const;

interface Question {
  query: string;
  answer: string;
  score: TaskInstance['score'];
  options?: string[];
}

export function generateOolong(targetTokens: number, index: number, seed: number): TaskInstance {
  const random = new Random(instanceSeed(seed, 'oolong', targetTokens, index));
  const chars = targetTokens * CHARS_PER_TOKEN;
  // About 40 records a user, so that per-user questions have answers worth counting.
  const users = userIds(random, Math.max(5, Math.round(chars / 90 / 40)));
  const records = generateRecords(random, chars, users);
  const kind = OOLONG_QUESTIONS[index % OOLONG_QUESTIONS.length]!;
  const question = ask(kind, records, random);
  return {
    id: `oolong-${formatTokens(targetTokens)}-${index}-s${seed}`,
    family: 'oolong',
    targetTokens,
    seed,
    query: `The context lists ${records.length.toLocaleString('en-US')} data points, one a line: a date, a user id and an instance. ${LABEL_DESCRIPTION}\n\n${question.query}`,
    context: recordsText(records),
    answer: question.answer,
    score: question.score,
    ...(question.options ? { options: question.options } : {}),
  };
}

/** Builds a question of the given kind and its answer from the records' true labels. */
function ask(kind: OolongQuestion, records: TaskRecord[], random: Random): Question {
  const counts = countBy(records, (r) => r.label);
  const count = (label: Label) => counts.get(label) ?? 0;
  const ranked = [...LABELS].sort((a, b) => count(b) - count(a));
  switch (kind) {
    case 'count': {
      const label = random.pick(LABELS);
      return {
        query: `How many data points should be labelled '${label}'? Answer with a number.`,
        answer: String(count(label)),
        score: 'numeric',
      };
    }
    case 'most-common':
    case 'least-common': {
      const [first, second] = kind === 'most-common' ? ranked : [...ranked].reverse();
      // A tie has no single answer: ask for a count instead.
      if (count(first!) === count(second!)) return ask('count', records, random);
      const which = kind === 'most-common' ? 'most' : 'least';
      return {
        query: `Which label is the ${which} common among the data points? Answer with the label only.`,
        answer: first!,
        score: 'exact',
        options: [...LABELS],
      };
    }
    case 'compare': {
      const [a, b] = random.shuffle([...LABELS]).slice(0, 2) as [Label, Label];
      const answer = count(a) > count(b) ? COMPARISONS[0] : count(a) < count(b) ? COMPARISONS[1] : COMPARISONS[2];
      return {
        query: `Is the label '${a}' more common than, less common than, or the same frequency as the label '${b}'? Answer with one of: ${COMPARISONS.join('; ')}.`,
        answer,
        score: 'exact',
        options: [...COMPARISONS],
      };
    }
    case 'per-user': {
      const user = random.pick(records).user;
      const label = random.pick(LABELS);
      const answer = records.filter((r) => r.user === user && r.label === label).length;
      return {
        query: `How many data points by user ${user} should be labelled '${label}'? Answer with a number.`,
        answer: String(answer),
        score: 'numeric',
      };
    }
    case 'per-month': {
      const month = monthName(random.pick(records).date);
      const label = random.pick(LABELS);
      const answer = records.filter((r) => monthName(r.date) === month && r.label === label).length;
      return {
        query: `How many data points dated in ${month} should be labelled '${label}'? Answer with a number.`,
        answer: String(answer),
        score: 'numeric',
      };
    }
  }
}
