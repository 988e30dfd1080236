/**
 * OOLONG-Pairs: list every pair of user ids whose records meet a condition on labels (and dates).
 * The answer grows with the square of the users, so the task is quadratic, as in the paper.
 * Scored by F1 over the pairs.
 */
import { instanceSeed, Random } from './random.ts';
import { displayDate, generateRecords, LABEL_DESCRIPTION, LABELS, recordsText, userIds, type Label } from './records.ts';
import { CHARS_PER_TOKEN, formatTokens, type TaskInstance } from './task.ts';

export type PairsCondition = 'both-have' | 'one-each' | 'both-after';

export function generateOolongPairs(targetTokens: number, index: number, seed: number): TaskInstance {
  const random = new Random(instanceSeed(seed, 'oolong-pairs', targetTokens, index));
  const chars = targetTokens * CHARS_PER_TOKEN;
  // Few enough users that the pairs stay listable (at most 1,225), more records each as the size grows.
  const users = userIds(random, Math.min(50, Math.max(8, Math.round(chars / 90 / 30))));
  const records = generateRecords(random, chars, users);
  const condition = (['both-have', 'one-each', 'both-after'] as const)[index % 3]!;
  const [a, b] = random.shuffle([...LABELS]).slice(0, 2) as [Label, Label];
  const after = random.pick(records).date;
  // Per-user counts, computed once: the pairs loop is quadratic in users, not in records.
  const counts = new Map<string, number>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  for (const r of records) {
    bump(`${r.user}|${r.label}`);
    if (r.date > after) bump(`${r.user}|${r.label}@after`);
  }
  const countOf = (user: number, label: Label, late = false) => counts.get(`${user}|${label}${late ? '@after' : ''}`) ?? 0;
  // At least the median user's count: about half the users qualify at every size, so the pairs
  // stay a real question (at 1M tokens every user has every label at least once).
  const threshold = (label: Label, late = false) => Math.max(1, median(users.map((u) => countOf(u, label, late))));
  const [ka, kb, kLate] = [threshold(a), threshold(b), threshold(a, true)];
  const meets = (u: number, v: number): boolean => {
    if (condition === 'both-have') return countOf(u, a) >= ka && countOf(v, a) >= ka;
    if (condition === 'one-each') return (countOf(u, a) >= ka && countOf(v, b) >= kb) || (countOf(u, b) >= kb && countOf(v, a) >= ka);
    return countOf(u, a, true) >= kLate && countOf(v, a, true) >= kLate;
  };
  const sorted = [...users].sort((x, y) => x - y);
  const pairs: string[] = [];
  for (let i = 0; i < sorted.length; i++)
    for (let j = i + 1; j < sorted.length; j++) if (meets(sorted[i]!, sorted[j]!)) pairs.push(`(${sorted[i]}, ${sorted[j]})`);
  const atLeast = (k: number, label: Label) => `at least ${k} data point${k === 1 ? '' : 's'} labelled '${label}'`;
  const wanted =
    condition === 'both-have'
      ? `both users have ${atLeast(ka, a)}`
      : condition === 'one-each'
        ? `one user has ${atLeast(ka, a)} and the other ${atLeast(kb, b)}`
        : `both users have ${atLeast(kLate, a)} dated after ${displayDate(after)}`;
  return {
    id: `oolong-pairs-${formatTokens(targetTokens)}-${index}-s${seed}`,
    family: 'oolong-pairs',
    targetTokens,
    seed,
    query: `The context lists ${records.length.toLocaleString('en-US')} data points, one a line: a date, a user id and an instance. ${LABEL_DESCRIPTION}\n\nList every pair of user ids where ${wanted}. Write each pair as (lower id, higher id), one pair a line, and nothing else.`,
    context: recordsText(records),
    answer: pairs.join('\n'),
    score: 'pairs',
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
