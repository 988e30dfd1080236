/**
 * S-NIAH (single needle in a haystack, as in RULER and the paper): one sentence holding a value —
 * a number, a UUID or a phrase — hidden at a random depth in unrelated prose. Scored % correct:
 * the answer must contain the value.
 */
import { fillerParagraphs } from './filler.ts';
import { instanceSeed, Random } from './random.ts';
import { CHARS_PER_TOKEN, formatTokens, type TaskInstance } from './task.ts';

export type NeedleKind = 'number' | 'uuid' | 'phrase';

const KEY_WORDS = [
  'amber',
  'cobalt',
  'harbor',
  'lantern',
  'meadow',
  'orchid',
  'quartz',
  'saffron',
  'thistle',
  'willow',
  'falcon',
  'juniper',
];
const PHRASE_WORDS = [
  'silver',
  'morning',
  'quiet',
  'river',
  'golden',
  'autumn',
  'hidden',
  'paper',
  'lantern',
  'crimson',
  'distant',
  'window',
];

export function generateSniah(targetTokens: number, index: number, seed: number): TaskInstance {
  const random = new Random(instanceSeed(seed, 'sniah', targetTokens, index));
  const kind = random.pick<NeedleKind>(['number', 'uuid', 'phrase']);
  const key = `${random.pick(KEY_WORDS)}-${random.pick(KEY_WORDS)}-${random.int(10, 99)}`;
  const value =
    kind === 'number'
      ? String(random.int(1_000_000, 9_999_999))
      : kind === 'uuid'
        ? random.uuid()
        : `${random.pick(PHRASE_WORDS)} ${random.pick(PHRASE_WORDS)} ${random.pick(PHRASE_WORDS)}`;
  const needle = `The special magic ${kind} for ${key} is: ${value}.`;
  const paragraphs = fillerParagraphs(random, targetTokens * CHARS_PER_TOKEN - needle.length);
  const at = random.int(0, paragraphs.length);
  paragraphs.splice(at, 0, needle);
  return {
    id: `sniah-${formatTokens(targetTokens)}-${index}-s${seed}`,
    family: 'sniah',
    targetTokens,
    seed,
    query: `What is the special magic ${kind} for ${key} mentioned in the provided text? Answer with the ${kind} only.`,
    context: paragraphs.join('\n\n'),
    answer: value,
    score: 'contains',
  };
}
