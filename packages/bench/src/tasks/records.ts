/**
 * OOLONG-style records: `Date: Mar 14, 2023 || User: 48213 || Instance: <question>`, one a line.
 * Each instance is a question whose TREC coarse label (abbreviation, entity, description, human,
 * location, numeric) the text implies but never states: it has to be inferred, line by line.
 */
import type { Random } from './random.ts';

export const LABELS = ['abbreviation', 'entity', 'description', 'human', 'location', 'numeric'] as const;
export type Label = (typeof LABELS)[number];

/** How the task describes the labels to the model. */
export const LABEL_DESCRIPTION =
  "Each instance is a question. Its label is one of: 'abbreviation' (asks what an abbreviation stands for), 'entity' (asks for a thing: an animal, colour, instrument, food...), 'description' (asks for a definition, reason or manner), 'human' (asks for a person), 'location' (asks for a place), 'numeric' (asks for a number, date, amount or distance). The labels are not written in the data: infer each from the question.";

const FILL = {
  abbr: ['NASA', 'UNESCO', 'HTML', 'NATO', 'LASER', 'SCUBA', 'RADAR', 'OPEC', 'DNA', 'FIFA', 'GPS', 'ATM'],
  animal: ['an okapi', 'a pangolin', 'a tapir', 'a quokka', 'an axolotl', 'a narwhal'],
  person: ['Ada Lovelace', 'Marie Curie', 'Nikola Tesla', 'Frida Kahlo', 'Alan Turing', 'Rosalind Franklin'],
  concept: ['photosynthesis', 'inflation', 'entropy', 'democracy', 'osmosis', 'irony', 'a sonnet', 'plate tectonics'],
  invention: ['telephone', 'printing press', 'steam engine', 'light bulb', 'compass', 'microscope'],
  work: ['Hamlet', 'Don Quixote', 'The Odyssey', 'Pride and Prejudice', 'War and Peace', 'Moby-Dick'],
  landmark: ['the Eiffel Tower', 'Machu Picchu', 'the Great Barrier Reef', 'Angkor Wat', 'the Alhambra', 'Table Mountain'],
  event: ['the first Olympic Games', 'the moon landing', 'the fall of the Berlin Wall', 'the Battle of Hastings', 'the first world fair'],
  thing: ['a violin', 'a bicycle', 'a chess board', 'a honeycomb', 'a spider web', 'a snowflake'],
};

type Template = (random: Random) => string;

const TEMPLATES: Record<Label, Template[]> = {
  abbreviation: [
    (r) => `What does ${r.pick(FILL.abbr)} stand for?`,
    (r) => `What is the full form of ${r.pick(FILL.abbr)}?`,
    (r) => `${r.pick(FILL.abbr)} is short for what?`,
  ],
  entity: [
    (r) => `What kind of animal is ${r.pick(FILL.animal)}?`,
    (r) => `Which instrument did ${r.pick(FILL.person)} like to play?`,
    (r) => `What colour is the flag of ${r.pick(['Peru', 'Japan', 'Ghana', 'Sweden', 'Nepal'])}?`,
    (r) => `What food is ${r.pick(FILL.animal)} known to eat?`,
  ],
  description: [
    (r) => `What is ${r.pick(FILL.concept)}?`,
    (r) => `Why does ${r.pick(FILL.concept)} matter?`,
    (r) => `How does ${r.pick(FILL.concept)} work?`,
    (r) => `What is meant by the term ${r.pick(FILL.concept)}?`,
  ],
  human: [
    (r) => `Who invented the ${r.pick(FILL.invention)}?`,
    (r) => `Who wrote ${r.pick(FILL.work)}?`,
    (r) => `Which person first described ${r.pick(FILL.concept)}?`,
    (r) => `Who was the teacher of ${r.pick(FILL.person)}?`,
  ],
  location: [
    (r) => `Where is ${r.pick(FILL.landmark)}?`,
    (r) => `In which country can you visit ${r.pick(FILL.landmark)}?`,
    (r) => `What city hosted ${r.pick(FILL.event)}?`,
    (r) => `Where was ${r.pick(FILL.person)} born?`,
  ],
  numeric: [
    (r) => `How many legs does ${r.pick(FILL.animal)} have?`,
    (r) => `When did ${r.pick(FILL.event)} take place?`,
    (r) => `How tall is ${r.pick(FILL.landmark)}?`,
    (r) => `What year was the ${r.pick(FILL.invention)} invented?`,
    (r) => `How much does ${r.pick(FILL.thing)} weigh?`,
  ],
};

export interface TaskRecord {
  /** ISO date, YYYY-MM-DD. */
  date: string;
  user: number;
  text: string;
  label: Label;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A record as a line of the context. */
export function recordLine(record: TaskRecord): string {
  return `Date: ${displayDate(record.date)} || User: ${record.user} || Instance: ${record.text}`;
}

/**
 * The records as the context, one a line. Joined a block at a time: at ten million tokens, the
 * lines of every record alive at once (each a chain of concatenated pieces until joined) cost
 * more memory than the text they make.
 */
export function recordsText(records: readonly TaskRecord[]): string {
  const BLOCK = 4096;
  const blocks: string[] = [];
  for (let start = 0; start < records.length; start += BLOCK)
    blocks.push(
      records
        .slice(start, start + BLOCK)
        .map(recordLine)
        .join('\n'),
    );
  return blocks.join('\n');
}

/** `2023-03-14` as `Mar 14, 2023`. */
export function displayDate(iso: string): string {
  const [year, month, day] = iso.split('-').map(Number);
  return `${MONTHS[month! - 1]} ${day}, ${year}`;
}

/** The month of an ISO date as the task names it: `March 2023`. */
export function monthName(iso: string): string {
  const [year, month] = iso.split('-').map(Number);
  const long = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  return `${long[month! - 1]} ${year}`;
}

/**
 * Records until `chars` characters. Labels follow uneven weights drawn from the seed, so that
 * counts differ; users and dates (2022–2024) are drawn uniformly.
 */
export function generateRecords(random: Random, chars: number, users: number[]): TaskRecord[] {
  const weights = random.shuffle([1, 2, 3, 4, 5, 6].map((w) => w + random.next()));
  const total = weights.reduce((a, b) => a + b, 0);
  const records: TaskRecord[] = [];
  // A few hundred texts and a thousand dates recur across hundreds of thousands of records: one
  // string each, shared, rather than a new one a record (a third of the memory at 10M tokens).
  const shared = new Map<string, string>();
  const intern = (text: string) => shared.get(text) ?? (shared.set(text, text), text);
  let size = 0;
  while (size < chars) {
    let draw = random.next() * total;
    let labelIndex = 0;
    while (draw > weights[labelIndex]! && labelIndex < LABELS.length - 1) draw -= weights[labelIndex++]!;
    const label = LABELS[labelIndex]!;
    const date = intern(
      `${random.int(2022, 2024)}-${String(random.int(1, 12)).padStart(2, '0')}-${String(random.int(1, 28)).padStart(2, '0')}`,
    );
    const record = { date, user: random.pick(users), text: intern(random.pick(TEMPLATES[label])(random)), label };
    records.push(record);
    size += recordLine(record).length + 1;
  }
  return records;
}

/** Distinct 5-digit user ids. */
export function userIds(random: Random, count: number): number[] {
  const ids = new Set<number>();
  while (ids.size < count) ids.add(random.int(10_000, 99_999));
  return [...ids];
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
