/** Unremarkable English prose, made from a seed: the haystack of S-NIAH and the padding of others. */
import type { Random } from './random.ts';

const SUBJECTS = [
  'The committee',
  'A traveller',
  'The old miller',
  'Our neighbour',
  'The river pilot',
  'A young clerk',
  'The gardener',
  'The archivist',
  'A visiting scholar',
  'The harbour master',
  'The baker',
  'A quiet student',
];
const VERBS = [
  'considered',
  'described',
  'remembered',
  'questioned',
  'admired',
  'recorded',
  'repaired',
  'carried',
  'painted',
  'measured',
  'forgot',
  'discussed',
];
const OBJECTS = [
  'the northern road',
  'a crate of apples',
  'the morning fog',
  'an unfinished letter',
  'the village bell',
  'a broken compass',
  'the autumn market',
  'a map of the coast',
  'the long winter',
  'a borrowed umbrella',
  'the stone bridge',
  'a pot of tea',
];
const TAILS = [
  'before the rain began.',
  'with some care.',
  'while the others waited.',
  'for most of the afternoon.',
  'as the lamps were lit.',
  'without much comment.',
  'near the end of the season.',
  'in a slow and patient way.',
  'and then moved on.',
  'as if nothing had happened.',
];

/** One sentence of filler. */
export function fillerSentence(random: Random): string {
  return `${random.pick(SUBJECTS)} ${random.pick(VERBS)} ${random.pick(OBJECTS)} ${random.pick(TAILS)}`;
}

/** Paragraphs of filler until `chars` characters (give or take a sentence). */
export function fillerParagraphs(random: Random, chars: number): string[] {
  const paragraphs: string[] = [];
  let total = 0;
  while (total < chars) {
    const sentences = Array.from({ length: random.int(3, 7) }, () => fillerSentence(random));
    const paragraph = sentences.join(' ');
    paragraphs.push(paragraph);
    total += paragraph.length + 2;
  }
  return paragraphs;
}
