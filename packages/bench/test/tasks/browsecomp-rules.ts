/**
 * Reading the BrowseComp-style documents back, by rules written here from the wording a reader
 * sees, not from the generator's world: the brute-force checks of the ground truth and the
 * scripted sub-model both read with these.
 */

export type Relation = 'born' | 'employer' | 'founder' | 'founded-year' | 'hq' | 'country' | 'venue' | 'organiser';

export interface Doc {
  id: number;
  title: string;
  body: string;
}

/** A name: capitalised words ("Northwind Analytics", "New Zealand", "Mara Lindqvist"). */
export const NAME = "[A-Z][\\w'-]*(?: [A-Z][\\w'-]*)*";
const rule = (source: string) => new RegExp(source.replaceAll('{N}', `(?<value>${NAME})`).replaceAll('{S}', `(?<subject>${NAME})`), 'g');

/**
 * Every wording of each relation, the value captured; `subject` where the sentence names the
 * subject in a place that could be mistaken (it must be the document's title). `{N}` stands for
 * the value's name, `{S}` for the subject's.
 */
export const FACT_RULES: Record<Relation, RegExp[]> = {
  born: [
    rule('\\bwas born in {N} in \\d{4}\\.'),
    rule('\\bBorn in {N} in \\d{4}, '),
    rule('\\bis a native of {N}, where '),
    rule('\\(born \\d{4} in {N}\\)'),
  ],
  employer: [
    rule('\\bworks for {N} as an? '),
    rule('\\bis currently employed by {N}\\.'),
    rule('\\bhas worked at {N}\\.'),
    rule('\\bis an? [a-z]+ at {N}\\.'),
    rule('\\bis on the staff of {N}\\.'),
  ],
  founder: [
    rule('\\bwas founded in \\d{4} by {N}\\.'),
    rule('{N} founded {S} in \\d{4}\\.'),
    rule('\\bFounded by {N} in \\d{4}, '),
    rule('; its founder is {N}\\.'),
  ],
  'founded-year': [
    /\bwas founded in (?<value>\d{4}) by /g,
    new RegExp(` founded (?<subject>${NAME}) in (?<value>\\d{4})\\.`, 'g'),
    /\bFounded by [A-Z][\w' -]* in (?<value>\d{4}), /g,
    /\bwas established in (?<value>\d{4}); /g,
  ],
  hq: [
    rule('\\bis headquartered in {N}\\.'),
    rule('\\bhas its headquarters in {N}\\.'),
    rule('\\bis based in {N}\\.'),
    rule('\\bhas its head office in {N}\\.'),
  ],
  country: [
    rule('\\bis a city in {N}\\.'),
    rule('\\bis located in {N}, '),
    rule('\\bcity of [A-Z]\\w* lies in {N}\\.'),
    rule('\\b[A-Z]\\w*, in {N}, is known for '),
    rule('\\bSituated in {N}, '),
  ],
  venue: [
    rule('\\bwas held in {N} in \\d{4}\\.'),
    rule('\\bIn \\d{4}, {N} hosted the '),
    rule('{N} was the venue of the '),
    rule('\\btook place in {N} in \\d{4}\\.'),
  ],
  organiser: [
    rule('\\bwas organised by {N}\\.'),
    rule('{N} organised the '),
    rule('\\bThe organiser of the [^.]*? was {N}\\.'),
    rule('{N} was responsible for organising the '),
  ],
};

export const RELATIONS = Object.keys(FACT_RULES) as Relation[];

export interface Fact {
  value: string;
  /** The subject, where the sentence names it. */
  subject?: string;
}

/** Every fact the text states, by relation. */
export function factsOf(text: string): Map<Relation, Fact[]> {
  const facts = new Map<Relation, Fact[]>();
  for (const relation of RELATIONS) {
    for (const regex of FACT_RULES[relation]) {
      for (const match of text.matchAll(regex)) {
        const { value, subject } = match.groups!;
        const list = facts.get(relation) ?? [];
        list.push({ value: value!, ...(subject ? { subject } : {}) });
        facts.set(relation, list);
      }
    }
  }
  return facts;
}

/** The documents of a context: `Document <id>: <title>` then the text, blank lines between. */
export function parseDocuments(context: string): Doc[] {
  return context.split('\n\n').map((text) => {
    const match = /^Document (\d+): (.+)\n([\s\S]+)$/.exec(text);
    if (!match) throw new Error(`not a document: ${text.slice(0, 80)}`);
    return { id: Number(match[1]), title: match[2]!, body: match[3]! };
  });
}

/** What a question asks: a named start and the relations to follow from it, in order. */
export interface Plan {
  start: string;
  steps: Relation[];
}

const QUESTIONS: Array<[RegExp, Relation[]]> = [
  [/^In which country was the (.+) held\?$/, ['venue', 'country']],
  [/^In which country was (.+) born\?$/, ['born', 'country']],
  [/^In which city was (.+) born\?$/, ['born']],
  [/^In which country is (.+) headquartered\?$/, ['hq', 'country']],
  [/^In which city is (.+) headquartered\?$/, ['hq']],
  [/^Who founded (.+)\?$/, ['founder']],
  [/^In which year was (.+) founded\?$/, ['founded-year']],
];

/** The plan of a question (its "Answer with..." sentence may be left on), or undefined. */
export function questionPlan(question: string): Plan | undefined {
  const text = question.replace(/\s*Answer with the \w+ only\.\s*$/, '').trim();
  for (const [regex, steps] of QUESTIONS) {
    const match = regex.exec(text);
    if (!match) continue;
    const inner = phrasePlan(match[1]!);
    return { start: inner.start, steps: [...inner.steps, ...steps] };
  }
  return undefined;
}

/** A noun phrase: a name, or a relation of a phrase ("the founder of the organisation that..."). */
function phrasePlan(phrase: string): Plan {
  let match: RegExpExecArray | null;
  if ((match = /^the founder of (.+)$/.exec(phrase))) {
    const inner = phrasePlan(match[1]!);
    return { start: inner.start, steps: [...inner.steps, 'founder'] };
  }
  if ((match = /^the current employer of (.+)$/.exec(phrase))) {
    const inner = phrasePlan(match[1]!);
    return { start: inner.start, steps: [...inner.steps, 'employer'] };
  }
  if ((match = /^the organisation that organised the (.+)$/.exec(phrase))) return { start: match[1]!, steps: ['organiser'] };
  if ((match = /^the organisation that (.+) currently works for$/.exec(phrase))) return { start: match[1]!, steps: ['employer'] };
  return { start: phrase, steps: [] };
}
