/**
 * Multi-hop questions about the generated world: start from a named event, organisation or
 * person and follow two to four relations, each read from a different document ("In which
 * country was the founder of the organisation that organised the X born?" reads the event, the
 * organisation, the founder and the city). The wrong answers scored against are the ones careless
 * reading reaches: a twin's chain, a near miss taken for the relation, a twin of the answer.
 */
import type { Random } from './random.ts';
import { normalize } from './scoring.ts';
import type { World } from './world.ts';

export type Step = 'organiser' | 'venue' | 'founder' | 'founded-year' | 'hq' | 'born' | 'employer' | 'country';

type Node =
  | { type: 'event' | 'organisation' | 'person' | 'city'; index: number }
  | { type: 'country'; name: string }
  | { type: 'year'; year: number };

interface QuestionKind {
  start: 'event' | 'organisation' | 'person';
  steps: Step[];
  ask: (name: string) => string;
}

const OF_EVENT = (name: string) => `the organisation that organised the ${name}`;
const OF_PERSON = (name: string) => `the organisation that ${name} currently works for`;

/** The kinds by hop count (documents to read); instance `index` has 2 + index % 3 hops. */
export const QUESTION_KINDS: Record<2 | 3 | 4, QuestionKind[]> = {
  2: [
    { start: 'person', steps: ['born', 'country'], ask: (n) => `In which country was ${n} born?` },
    { start: 'event', steps: ['organiser', 'founder'], ask: (n) => `Who founded ${OF_EVENT(n)}?` },
    { start: 'organisation', steps: ['hq', 'country'], ask: (n) => `In which country is ${n} headquartered?` },
    { start: 'event', steps: ['organiser', 'founded-year'], ask: (n) => `In which year was ${OF_EVENT(n)} founded?` },
    { start: 'person', steps: ['employer', 'hq'], ask: (n) => `In which city is ${OF_PERSON(n)} headquartered?` },
    { start: 'event', steps: ['venue', 'country'], ask: (n) => `In which country was the ${n} held?` },
  ],
  3: [
    { start: 'event', steps: ['organiser', 'hq', 'country'], ask: (n) => `In which country is ${OF_EVENT(n)} headquartered?` },
    { start: 'event', steps: ['organiser', 'founder', 'born'], ask: (n) => `In which city was the founder of ${OF_EVENT(n)} born?` },
    { start: 'organisation', steps: ['founder', 'born', 'country'], ask: (n) => `In which country was the founder of ${n} born?` },
    { start: 'person', steps: ['employer', 'founder', 'born'], ask: (n) => `In which city was the founder of ${OF_PERSON(n)} born?` },
    { start: 'person', steps: ['employer', 'hq', 'country'], ask: (n) => `In which country is ${OF_PERSON(n)} headquartered?` },
    {
      start: 'organisation',
      steps: ['founder', 'employer', 'hq'],
      ask: (n) => `In which city is the current employer of the founder of ${n} headquartered?`,
    },
  ],
  4: [
    {
      start: 'event',
      steps: ['organiser', 'founder', 'born', 'country'],
      ask: (n) => `In which country was the founder of ${OF_EVENT(n)} born?`,
    },
    {
      start: 'person',
      steps: ['employer', 'founder', 'born', 'country'],
      ask: (n) => `In which country was the founder of ${OF_PERSON(n)} born?`,
    },
    {
      start: 'organisation',
      steps: ['founder', 'employer', 'hq', 'country'],
      ask: (n) => `In which country is the current employer of the founder of ${n} headquartered?`,
    },
    {
      start: 'event',
      steps: ['organiser', 'founder', 'employer', 'hq'],
      ask: (n) => `In which city is the current employer of the founder of ${OF_EVENT(n)} headquartered?`,
    },
  ],
};

export interface WorldQuestion {
  /** The relations followed, joined: `organiser>founder>born>country`. */
  kind: string;
  hops: number;
  question: string;
  answer: string;
  /** The answer and the wrong answers careless reading gives (3 to 7 of them), sorted. */
  options: string[];
  /** The documents that hold the evidence, in the order they are read. */
  evidence: number[];
}

export function askQuestion(world: World, random: Random, index: number): WorldQuestion {
  const hops = (2 + (index % 3)) as 2 | 3 | 4;
  const kinds = QUESTION_KINDS[hops];
  const kind = kinds[Math.floor(index / 3) % kinds.length]!;
  const count =
    kind.start === 'event' ? world.events.length : kind.start === 'organisation' ? world.organisations.length : world.people.length;
  // The hardest of a few starts: each hop in its own document, as many twins on the way as can be.
  let best: { path: Node[]; wrong: string[]; score: number } | undefined;
  for (let tries = 0; tries < 200 && (best?.score ?? 0) < 8; tries++) {
    const path = follow(world, { type: kind.start, index: random.int(0, count - 1) }, kind.steps);
    const docs = path.slice(0, -1).map((node) => docOf(world, node));
    if (new Set(docs).size !== docs.length) continue;
    const wrong = wrongAnswers(world, path, kind.steps);
    const twins = path.filter((node) => twinOf(world, node) !== undefined).length;
    const score = twins + (twinOf(world, path[0]!) !== undefined ? 2 : 0) + Math.min(wrong.length, 4);
    if (!best || score > best.score) best = { path, wrong, score };
  }
  if (!best) throw new Error(`no ${kind.steps.join('>')} question fits this world`);
  const answer = nameOf(world, best.path.at(-1)!);
  const options = [answer];
  // The wrong answers careless reading reaches (up to seven), then others of the type until four.
  const fillers = random.shuffle(sameType(world, best.path.at(-1)!));
  for (const candidate of [...best.wrong, ...fillers]) {
    if (options.length >= 8 || (options.length >= 5 && !best.wrong.includes(candidate))) break;
    if (options.every((o) => distinct(o, candidate))) options.push(candidate);
  }
  return {
    kind: kind.steps.join('>'),
    hops,
    question: kind.ask(nameOf(world, best.path[0]!)),
    answer,
    options: options.sort(),
    evidence: best.path.slice(0, -1).map((node) => docOf(world, node)),
  };
}

/** The nodes from `start` along `steps`: one more node than steps. */
function follow(world: World, start: Node, steps: readonly Step[]): Node[] {
  const path = [start];
  for (const step of steps) path.push(relation(world, path.at(-1)!, step)!);
  return path;
}

/**
 * Where a careless reader ends: at a twin of any node on the way (the twin's own chain, or the
 * twin of the answer itself), or after taking a near miss for one of the relations.
 */
function wrongAnswers(world: World, path: Node[], steps: readonly Step[]): string[] {
  const wrong: string[] = [];
  steps.forEach((step, i) => {
    const twin = twinOf(world, path[i]!);
    if (twin) wrong.push(nameOf(world, follow(world, twin, steps.slice(i)).at(-1)!));
    const near = relation(world, path[i]!, step, true);
    if (near) wrong.push(nameOf(world, follow(world, near, steps.slice(i + 1)).at(-1)!));
  });
  const twin = twinOf(world, path.at(-1)!);
  if (twin) wrong.push(nameOf(world, twin));
  const answer = nameOf(world, path.at(-1)!);
  return [...new Set(wrong)].filter((w) => distinct(w, answer));
}

/** One relation of a node, or with `near` the near miss its document states beside it. */
function relation(world: World, node: Node, step: Step, near = false): Node | undefined {
  const at = <T>(items: readonly T[]) => ('index' in node ? items[node.index]! : undefined);
  const index = (type: 'event' | 'organisation' | 'person' | 'city', i: number | undefined): Node | undefined =>
    i === undefined ? undefined : { type, index: i };
  switch (step) {
    case 'organiser':
      return index('organisation', near ? at(world.events)?.sponsor : at(world.events)?.organiser);
    case 'venue':
      return index('city', near ? at(world.events)?.streamedTo : at(world.events)?.venue);
    case 'founder':
      return index('person', near ? at(world.organisations)?.ceo : at(world.organisations)?.founder);
    case 'founded-year': {
      const year = near ? at(world.organisations)?.movedIn : at(world.organisations)?.founded;
      return year === undefined ? undefined : { type: 'year', year };
    }
    case 'hq':
      return index('city', near ? at(world.organisations)?.formerHq : at(world.organisations)?.hq);
    case 'born':
      return index('city', near ? at(world.people)?.livesIn : at(world.people)?.born);
    case 'employer':
      return index('organisation', near ? at(world.people)?.formerEmployer : at(world.people)?.employer);
    case 'country': {
      const city = at(world.cities);
      return city ? { type: 'country', name: near ? city.visitors : city.country } : undefined;
    }
  }
}

function entities(
  world: World,
  type: 'event' | 'organisation' | 'person' | 'city',
): ReadonlyArray<{ name: string; doc: number; twin?: number }> {
  return type === 'event' ? world.events : type === 'organisation' ? world.organisations : type === 'person' ? world.people : world.cities;
}

function nameOf(world: World, node: Node): string {
  if (node.type === 'country') return node.name;
  if (node.type === 'year') return String(node.year);
  return entities(world, node.type)[node.index]!.name;
}

function docOf(world: World, node: Node): number {
  if (!('index' in node)) throw new Error('countries and years have no document');
  return entities(world, node.type)[node.index]!.doc;
}

function twinOf(world: World, node: Node): Node | undefined {
  if (!('index' in node)) return undefined;
  const twin = entities(world, node.type)[node.index]!.twin;
  return twin === undefined ? undefined : { type: node.type, index: twin };
}

/** Every other answer of the answer's type: other countries, cities, people or founding years. */
function sameType(world: World, node: Node): string[] {
  if (node.type === 'country') return [...world.countries];
  if (node.type === 'year') return [...new Set(world.organisations.map((o) => String(o.founded)))];
  return entities(world, node.type).map((e) => e.name);
}

/** Neither names the other: an answer naming one must not also name the other as whole words. */
function distinct(a: string, b: string): boolean {
  const [x, y] = [` ${normalize(a)} `, ` ${normalize(b)} `];
  return !x.includes(y) && !y.includes(x);
}
