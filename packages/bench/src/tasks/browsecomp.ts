/**
 * BrowseComp-Plus-style multi-hop questions over a collection of documents (as in the paper's
 * BrowseComp-Plus, 1K documents): a generated world of people, organisations, cities and events
 * written up as profiles, event reports and news items, with confusable names, passing mentions
 * and past facts as distractors. Each question follows 2 to 4 relations, each stated in a
 * different document. The answer is a name (or a year), scored exact against the gold and the
 * wrong answers careless reading gives.
 */
import { instanceSeed, Random } from './random.ts';
import { CHARS_PER_TOKEN, formatTokens, type TaskInstance } from './task.ts';
import { generateWorld, type World } from './world.ts';
import { writeDocuments } from './world-docs.ts';
import { askQuestion, type WorldQuestion } from './world-questions.ts';

export interface BrowseCompSetup {
  world: World;
  question: WorldQuestion;
}

/**
 * The world and question of an instance without writing its documents: what the tests check the
 * text against (`question.evidence` lists the documents that hold the evidence).
 *
 * @example
 * const { question } = browseCompWorld(8_000, 2, 1);
 * question.hops; // 4
 * question.evidence; // e.g. [31, 7, 22, 15]
 */
export function browseCompWorld(targetTokens: number, index: number, seed: number): BrowseCompSetup {
  // Separate streams: the world, the question and the wording do not shift one another.
  const world = generateWorld(new Random(instanceSeed(seed, 'browsecomp', targetTokens, index, 'world')), targetTokens * CHARS_PER_TOKEN);
  const question = askQuestion(world, new Random(instanceSeed(seed, 'browsecomp', targetTokens, index, 'question')), index);
  return { world, question };
}

export function generateBrowseComp(targetTokens: number, index: number, seed: number): TaskInstance {
  const { world, question } = browseCompWorld(targetTokens, index, seed);
  const context = writeDocuments(
    world,
    new Random(instanceSeed(seed, 'browsecomp', targetTokens, index, 'documents')),
    targetTokens * CHARS_PER_TOKEN,
  );
  const only = /^\d+$/.test(question.answer) ? 'year' : 'name';
  return {
    id: `browsecomp-${formatTokens(targetTokens)}-${index}-s${seed}`,
    family: 'browsecomp',
    targetTokens,
    seed,
    query: `The context is a collection of ${world.documents.toLocaleString('en-US')} documents: profiles of people, organisations and cities, reports of events, and news items. Each begins with a line 'Document <number>: <title>', and documents are separated by blank lines.\n\n${question.question} Answer with the ${only} only.`,
    context,
    answer: question.answer,
    score: 'exact',
    options: question.options,
  };
}
