/**
 * The generated world behind the BrowseComp-style task: cities in countries, people,
 * organisations and events, linked by the relations its questions follow (born in, works for,
 * founded by, headquartered in, organised by, held in, lies in), and by near misses that only a
 * careless reader takes for them (a former employer, a chief executive, a sponsor, a former head
 * office, a city lived in, a country visitors come from). About a quarter of the entities have a
 * twin whose name is confusably close. Every entity has its own document, numbered at random.
 */
import type { Random } from './random.ts';
import { COUNTRIES, NameBook, type Pronoun } from './world-names.ts';

export interface City {
  name: string;
  country: string;
  /** A country the city's document names that is not its own (where its visitors come from). */
  visitors: string;
  twin?: number;
  doc: number;
}

export interface Person {
  name: string;
  pronoun: Pronoun;
  profession: string;
  /** City index. */
  born: number;
  birthYear: number;
  /** Organisation index: where the person works now. */
  employer: number;
  /** The year the person joined the employer. */
  since: number;
  formerEmployer?: number;
  /** City index: where the person lives now (not where born). */
  livesIn?: number;
  /** Event index: spoken at, not organised. */
  spokeAt?: number;
  twin?: number;
  doc: number;
}

export interface Organisation {
  name: string;
  /** Person index. */
  founder: number;
  founded: number;
  /** City index of the head office now. */
  hq: number;
  /** City index of the head office before `movedIn`. */
  formerHq?: number;
  movedIn?: number;
  /** Person index: runs it (and works there), did not found it. */
  ceo?: number;
  /** Event index: sponsored, not organised. */
  sponsored?: number;
  twin?: number;
  doc: number;
}

export interface WorldEvent {
  name: string;
  /** City index. */
  venue: number;
  year: number;
  /** Organisation index. */
  organiser: number;
  sponsor?: number;
  /** Person index: the keynote speaker. */
  speaker?: number;
  /** City index: sessions were streamed there. */
  streamedTo?: number;
  twin?: number;
  doc: number;
}

export interface World {
  countries: string[];
  cities: City[];
  people: Person[];
  organisations: Organisation[];
  events: WorldEvent[];
  /** Document numbers of the news items, which mention entities only in passing. */
  news: number[];
  /** Documents in all, numbered 1 to this. */
  documents: number;
}

const PROFESSIONS = [
  'engineer',
  'economist',
  'architect',
  'chemist',
  'journalist',
  'designer',
  'lawyer',
  'historian',
  'analyst',
  'geologist',
  'pharmacist',
  'editor',
  'surveyor',
  'statistician',
  'curator',
];

/**
 * How many documents a world of `chars` characters has: growing slower than the size, so that
 * documents lengthen too (about 40 of 800 characters at 8K tokens, 3,300 of 12,000 at 10M).
 */
export function documentCount(chars: number): number {
  return Math.max(16, Math.round(40 * (chars / 32_000) ** 0.62));
}

export function generateWorld(random: Random, chars: number): World {
  const documents = documentCount(chars);
  const share = (part: number, min: number) => Math.max(min, Math.round(documents * part));
  const counts = { people: share(0.35, 5), organisations: share(0.2, 4), events: share(0.18, 3), cities: share(0.15, 4) };
  const names = new NameBook(random);
  const countries = random.shuffle([...COUNTRIES]).slice(0, Math.min(COUNTRIES.length, Math.max(5, Math.round(counts.cities / 3))));

  const cityNames = withTwins(
    random,
    counts.cities,
    () => names.city(),
    (name) => names.twin(name, 'city'),
  );
  const personNames = withTwins(
    random,
    counts.people,
    () => names.person(),
    (p) => ({ name: names.twin(p.name, 'person'), pronoun: p.pronoun }),
  );
  const orgNames = withTwins(
    random,
    counts.organisations,
    () => names.organisation(),
    (name) => names.twin(name, 'organisation'),
  );
  const eventNames = withTwins(
    random,
    counts.events,
    () => names.event(),
    (name) => names.twin(name, 'event'),
  );

  const other = (n: number, not: number) => (n < 2 ? not : (not + random.int(1, n - 1)) % n);
  const maybe = <T>(p: number, make: () => T): T | undefined => (random.next() < p ? make() : undefined);

  const cities: City[] = cityNames.items.map((name, i) => {
    const country = random.pick(countries);
    return { name, country, visitors: random.pick(countries.filter((c) => c !== country)), ...twinOf(cityNames, i), doc: 0 };
  });
  // Founders and employers are drawn once people and organisations exist, so years are set in order.
  const people: Person[] = personNames.items.map(({ name, pronoun }, i) => ({
    name,
    pronoun,
    profession: random.pick(PROFESSIONS),
    born: random.int(0, cities.length - 1),
    birthYear: random.int(1940, 1990),
    employer: 0,
    since: 0,
    ...twinOf(personNames, i),
    doc: 0,
  }));
  const organisations: Organisation[] = orgNames.items.map((name, i) => {
    const founder = random.int(0, people.length - 1);
    const founded = random.int(Math.max(1960, people[founder]!.birthYear + 22), 2016);
    const hq = random.int(0, cities.length - 1);
    const formerHq = maybe(0.4, () => other(cities.length, hq));
    return {
      name,
      founder,
      founded,
      hq,
      ...(formerHq !== undefined && formerHq !== hq ? { formerHq, movedIn: random.int(founded + 1, 2023) } : {}),
      ...optional(
        'ceo',
        maybe(0.6, () => other(people.length, founder)),
      ),
      ...twinOf(orgNames, i),
      doc: 0,
    };
  });
  // A chief executive works for the organisation they run (and runs only one): else their own
  // profile would name another employer, and "works for" would have two answers.
  const runs = new Map<number, number>();
  organisations.forEach((org, i) => {
    if (org.ceo === undefined) return;
    if (runs.has(org.ceo)) delete org.ceo;
    else runs.set(org.ceo, i);
  });
  people.forEach((person, i) => {
    person.employer = runs.get(i) ?? random.int(0, organisations.length - 1);
    person.since = random.int(Math.max(person.birthYear + 22, organisations[person.employer]!.founded), 2024);
    const former = maybe(0.6, () => other(organisations.length, person.employer));
    if (former !== undefined && former !== person.employer) person.formerEmployer = former;
    const lives = maybe(0.5, () => other(cities.length, person.born));
    if (lives !== undefined && lives !== person.born) person.livesIn = lives;
  });
  // Near misses keep to the calendar: a sponsor existed by the event, a speaker was grown up.
  const founded = (org: number | undefined) => (org === undefined ? undefined : organisations[org]!.founded);
  const adult = (person: number | undefined, year: number) => person !== undefined && people[person]!.birthYear + 20 <= year;
  const events: WorldEvent[] = eventNames.items.map((name, i) => {
    const organiser = random.int(0, organisations.length - 1);
    const venue = random.int(0, cities.length - 1);
    const year = random.int(Math.max(2005, organisations[organiser]!.founded + 1), 2024);
    const sponsor = maybe(0.6, () => other(organisations.length, organiser));
    const speaker = maybe(0.5, () => random.int(0, people.length - 1));
    const streamedTo = maybe(0.3, () => other(cities.length, venue));
    return {
      name,
      venue,
      year,
      organiser,
      ...optional('sponsor', sponsor !== organiser && founded(sponsor)! < year ? sponsor : undefined),
      ...optional('speaker', adult(speaker, year) ? speaker : undefined),
      ...optional('streamedTo', streamedTo === venue ? undefined : streamedTo),
      ...twinOf(eventNames, i),
      doc: 0,
    };
  });
  people.forEach((person, i) => {
    const event = random.int(0, events.length - 1);
    if (random.next() < 0.5 && adult(i, events[event]!.year)) person.spokeAt = event;
  });
  organisations.forEach((org, i) => {
    const event = random.int(0, events.length - 1);
    if (random.next() < 0.4 && events[event]!.organiser !== i && org.founded < events[event]!.year) org.sponsored = event;
  });

  const entities = cities.length + people.length + organisations.length + events.length;
  const total = Math.max(documents, entities + 1);
  const numbers = random.shuffle(Array.from({ length: total }, (_, i) => i + 1));
  let next = 0;
  for (const entity of [...cities, ...people, ...organisations, ...events]) entity.doc = numbers[next++]!;
  return { countries, cities, people, organisations, events, news: numbers.slice(next).sort((a, b) => a - b), documents: total };
}

/** `count` items, about a quarter of them twins of others: `twins[i]` is the index of i's twin. */
function withTwins<T>(random: Random, count: number, make: () => T, twin: (of: T) => T): { items: T[]; twins: Map<number, number> } {
  const originals = count - Math.floor(count / 4);
  const items = Array.from({ length: originals }, make);
  const twins = new Map<number, number>();
  const free = random.shuffle(Array.from({ length: originals }, (_, i) => i));
  for (const of of free.slice(0, count - originals)) {
    twins.set(of, items.length);
    twins.set(items.length, of);
    items.push(twin(items[of]!));
  }
  return { items, twins };
}

function twinOf(made: { twins: Map<number, number> }, i: number): { twin?: number } {
  const twin = made.twins.get(i);
  return twin === undefined ? {} : { twin };
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
