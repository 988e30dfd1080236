/**
 * The world written up as numbered documents, `Document 12: <title>` then its text, separated by
 * blank lines (a document's paragraphs by single newlines). Each document opens with its main
 * fact; its other facts and near misses sit at random places among background sentences and
 * plain prose, which pad the whole to the size asked for. Parts are collected and joined once: 10M tokens is 40 MB.
 */
import { fillerSentence } from './filler.ts';
import type { Random } from './random.ts';
import type { World } from './world.ts';
import { cityText, eventText, newsText, organisationText, personText, type DocumentText } from './world-sentences.ts';

/** The world's documents in number order, `chars` characters in all (at least, give or take a sentence). */
export function writeDocuments(world: World, random: Random, chars: number): string {
  const texts = documentTexts(world, random);
  const headers = texts.map((text, i) => `Document ${i + 1}: ${text.title}`);
  // Length of each document without background: header, newline, sentences and the spaces between.
  const cores = texts.map((text, i) => headers[i]!.length + 1 + text.first.length + text.rest.reduce((sum, s) => sum + 1 + s.length, 0));
  const separators = 2 * (texts.length - 1);
  const background = Math.max(0, chars - separators - cores.reduce((a, b) => a + b, 0));
  const weights = texts.map(() => 0.5 + random.next());
  const totalWeight = weights.reduce((a, b) => a + b, 0);

  const parts: string[] = [];
  // Each document pads up to a running goal, so a sentence's overshoot is taken back by the next.
  let goal = 0;
  let written = 0;
  texts.forEach((text, i) => {
    goal += cores[i]! + (i > 0 ? 2 : 0) + (background * weights[i]!) / totalWeight;
    written += cores[i]! + (i > 0 ? 2 : 0);
    // The document's own background first (each once, so none contradicts another), then prose.
    const sentences: string[] = [];
    for (const sentence of random.shuffle([...text.background])) {
      if (written + sentence.length + 1 > goal) break;
      sentences.push(sentence);
      written += sentence.length + 1;
    }
    while (written < goal) {
      const sentence = fillerSentence(random);
      sentences.push(sentence);
      written += sentence.length + 1;
    }
    random.shuffle(sentences);
    for (const fact of text.rest) sentences.splice(random.int(0, sentences.length), 0, fact);
    sentences.unshift(text.first);
    if (i > 0) parts.push('\n\n');
    parts.push(headers[i]!, '\n', paragraphs(sentences, random));
  });
  return parts.join('');
}

/** The text of every document, by number (index 0 is document 1). */
function documentTexts(world: World, random: Random): DocumentText[] {
  const texts: DocumentText[] = new Array<DocumentText>(world.documents);
  for (const city of world.cities) texts[city.doc - 1] = cityText(city, random);
  for (const person of world.people) texts[person.doc - 1] = personText(world, person, random);
  for (const org of world.organisations) texts[org.doc - 1] = organisationText(world, org, random);
  for (const event of world.events) texts[event.doc - 1] = eventText(world, event, random);
  for (const doc of world.news) texts[doc - 1] = newsText(world, doc, random);
  return texts;
}

/** Sentences in paragraphs of three to seven, one paragraph a line. */
function paragraphs(sentences: string[], random: Random): string {
  const lines: string[] = [];
  for (let at = 0; at < sentences.length;) {
    const size = random.int(3, 7);
    lines.push(sentences.slice(at, at + size).join(' '));
    at += size;
  }
  return lines.join('\n');
}
