/** Scoring an answer against a task's ground truth, the way the paper scores each benchmark. */
import type { TaskInstance } from './task.ts';

/** Lower case, punctuation and articles dropped, whitespace collapsed (as in SQuAD-style scoring). */
export function normalize(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, ' ')
    .replace(/\b(a|an|the)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first number in the text (commas between digits ignored), or undefined. */
export function firstNumber(text: string): number | undefined {
  return numbersIn(text)[0];
}

/** Every number in the text, in order; `1,204` is one number. */
function numbersIn(text: string): number[] {
  return [...text.replace(/(\d),(?=\d{3}\b)/g, '$1').matchAll(/-?\d[\d,]*(?:\.\d+)?/g)].map((match) => Number(match[0].replace(/,/g, '')));
}

/**
 * OOLONG's numeric score: 0.75 to the power of the absolute error; 0 with no number. The answer's
 * number is its first one that the query does not mention: "User 24363 has 5 such data points"
 * answers 5, not the user id restated (nor a year); if every number is from the query, the first.
 */
export function numericScore(answer: string, truth: number, query = ''): number {
  const asked = new Set(numbersIn(query));
  const numbers = numbersIn(answer);
  const value = numbers.find((n) => !asked.has(n)) ?? numbers[0];
  return value === undefined ? 0 : 0.75 ** Math.abs(value - truth);
}

/** Unordered pairs of integers written as `(a, b)` anywhere in the text, lower id first. */
export function parsePairs(text: string): Set<string> {
  const pairs = new Set<string>();
  for (const match of text.matchAll(/\(\s*(\d+)\s*,\s*(\d+)\s*\)/g)) {
    const [a, b] = [Number(match[1]), Number(match[2])].sort((x, y) => x - y);
    if (a !== b) pairs.add(`${a},${b}`);
  }
  return pairs;
}

/** F1 of the answer's pairs against the true pairs; 1 when both are empty. */
export function pairsF1(answer: string, truth: string): number {
  const given = parsePairs(answer);
  const expected = parsePairs(truth);
  if (expected.size === 0) return given.size === 0 ? 1 : 0;
  let hits = 0;
  for (const pair of given) if (expected.has(pair)) hits++;
  if (hits === 0) return 0;
  const precision = hits / given.size;
  const recall = hits / expected.size;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * Exact match after normalisation. Where the instance lists its possible answers (labels), an
 * answer that names exactly one of them — the true one — also counts ("The most common label is
 * location." is right).
 */
export function exactScore(answer: string, truth: string, options?: readonly string[]): number {
  const given = normalize(answer);
  const expected = normalize(truth);
  if (given === expected) return 1;
  if (!options?.length) return 0;
  const named = options.filter((option) => new RegExp(`(^|\\s)${escape(normalize(option))}($|\\s)`).test(given));
  return named.length === 1 && normalize(named[0]!) === expected ? 1 : 0;
}

/** Option letters of a multiple-choice question: A, B, C... */
export const CHOICE_LETTERS = 'ABCDEFGHIJ';

/**
 * The letter an answer picks: a leading letter ("B", "(B) src/a.js", "B."), a stated one ("the
 * answer is B"), or else the one option whose text it names. Undefined when it picks none or
 * several.
 */
export function pickedChoice(answer: string, options: readonly string[]): string | undefined {
  const letters = CHOICE_LETTERS.slice(0, options.length);
  const text = answer.trim();
  const leading = /^\(?([A-J])\)?(?=$|[\s.):,])/.exec(text);
  if (leading && letters.includes(leading[1]!)) return leading[1];
  const stated = /\b(?:answer|option|choice)\s*(?:is|:)?\s*\(?([A-J])\)?(?=$|[\s.),;])/i.exec(text);
  if (stated && letters.includes(stated[1]!.toUpperCase())) return stated[1]!.toUpperCase();
  const named = options.flatMap((option, i) => (text.includes(option) ? [letters[i]!] : []));
  return named.length === 1 ? named[0] : undefined;
}

/** The score of `answer` for `instance`, from 0 to 1. */
export function scoreAnswer(
  instance: Pick<TaskInstance, 'score' | 'answer' | 'options'> & { query?: string },
  answer: string | undefined,
): number {
  if (answer === undefined) return 0;
  switch (instance.score) {
    case 'numeric':
      return numericScore(answer, Number(instance.answer), instance.query);
    case 'pairs':
      return pairsF1(answer, instance.answer);
    case 'contains':
      return normalize(answer).includes(normalize(instance.answer)) ? 1 : 0;
    case 'exact':
      return exactScore(answer, instance.answer, instance.options);
    case 'choice':
      return pickedChoice(answer, instance.options ?? []) === instance.answer ? 1 : 0;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
