/**
 * The sentences that write the world up. Each fact has several wordings, so that no one phrase
 * finds them all, but every wording states it plainly; each near miss (a former employer, a
 * sponsor, a chief executive...) is worded so a careful reader cannot take it for the fact.
 * Background sentences pad documents out and state nothing a question asks about.
 */
import type { Random } from './random.ts';
import type { City, Organisation, Person, World, WorldEvent } from './world.ts';

/** A document's sentences: the first always opens it; the rest go anywhere among the background. */
export interface DocumentText {
  title: string;
  first: string;
  rest: string[];
  /** Background sentences of the document's kind, none contradicting another; prose pads beyond them. */
  background: string[];
}

type Pick = (options: readonly string[]) => string;

export function personText(world: World, person: Person, random: Random): DocumentText {
  const pick: Pick = (options) => random.pick(options);
  const { name, birthYear: year, profession } = person;
  const [P, p, pos] = person.pronoun === 'she' ? ['She', 'she', 'her'] : ['He', 'he', 'his'];
  const city = world.cities[person.born]!.name;
  const org = world.organisations[person.employer]!.name;
  const first = pick([
    `${name} was born in ${city} in ${year}.`,
    `Born in ${city} in ${year}, ${name} ${pick(['trained as', 'went on to work as', 'made a career as'])} ${article(profession)}.`,
    `${name} is a native of ${city}, where ${p} was born in ${year}.`,
    `${name} (born ${year} in ${city}) is ${article(profession)}.`,
  ]);
  // The main facts name their subject: among background prose a pronoun could seem to point elsewhere.
  const who = pick([name, name.split(' ')[1]!]);
  const rest = [
    pick([
      `${who} works for ${org} as ${article(profession)}.`,
      `${who} is currently employed by ${org}.`,
      `Since ${person.since}, ${who} has worked at ${org}.`,
      `${who} is ${article(profession)} at ${org}.`,
      `Today ${who} is on the staff of ${org}.`,
    ]),
  ];
  if (person.formerEmployer !== undefined) {
    const former = world.organisations[person.formerEmployer]!;
    const left = Math.max(person.birthYear + 21, former.founded);
    rest.push(
      pick([
        `${P} formerly worked at ${former.name}.`,
        `Earlier in ${pos} career, ${p} was with ${former.name}.`,
        `${P} previously worked for ${former.name}.`,
        ...(left <= person.since ? [`${P} left ${former.name} in ${random.int(left, person.since)}.`] : []),
      ]),
    );
  }
  if (person.livesIn !== undefined) {
    const lives = world.cities[person.livesIn]!.name;
    rest.push(
      pick([
        `${P} now lives in ${lives}.`,
        `${P} grew up in ${lives}.`,
        `These days ${p} lives in ${lives}.`,
        `${P} moved to ${lives} some years ago.`,
      ]),
    );
  }
  if (person.spokeAt !== undefined) {
    const event = world.events[person.spokeAt]!;
    rest.push(
      pick([
        `${P} spoke at the ${event.name}.`,
        `${P} was a guest speaker at the ${event.name}.`,
        `In ${event.year} ${p} attended the ${event.name}.`,
      ]),
    );
  }
  return { title: name, first, rest, background: personBackground(random, person.pronoun) };
}

export function organisationText(world: World, org: Organisation, random: Random): DocumentText {
  const pick: Pick = (options) => random.pick(options);
  const { name, founded: year } = org;
  const founder = world.people[org.founder]!.name;
  const noun = pick(['company', 'firm', 'group']);
  const first = pick([
    `${name} was founded in ${year} by ${founder}.`,
    `${founder} founded ${name} in ${year}.`,
    `Founded by ${founder} in ${year}, ${name} ${pick(['grew quickly in its first decade', 'now employs several hundred people', 'has a reputation for careful work', 'remains privately owned'])}.`,
    `${name} was established in ${year}; its founder is ${founder}.`,
  ]);
  const hq = world.cities[org.hq]!.name;
  const it = pick([name, `The ${noun}`]);
  const rest = [
    pick([
      `${it} is headquartered in ${hq}.`,
      `${it} has its headquarters in ${hq}.`,
      `${it} is based in ${hq}.`,
      `${it} has its head office in ${hq}.`,
    ]),
  ];
  if (org.formerHq !== undefined) {
    const former = world.cities[org.formerHq]!.name;
    rest.push(
      pick([
        `Until ${org.movedIn}, it was based in ${former}.`,
        `Its first offices were in ${former}; it moved in ${org.movedIn}.`,
        `In ${org.movedIn} it left ${former} for its present home.`,
      ]),
    );
  }
  if (org.ceo !== undefined) {
    const ceo = world.people[org.ceo]!;
    const since = random.int(Math.max(year + 1, ceo.since), 2024);
    rest.push(
      pick([
        `Its current chief executive is ${ceo.name}.`,
        `${ceo.name} has led the ${noun} as chief executive since ${since}.`,
        `The ${noun} is run day to day by ${ceo.name}.`,
      ]),
    );
  }
  if (org.sponsored !== undefined) {
    const event = world.events[org.sponsored]!.name;
    rest.push(
      pick([
        `It sponsored the ${event}.`,
        `It was among the sponsors of the ${event}.`,
        `The ${noun} supported the ${event} as a sponsor.`,
      ]),
    );
  }
  return { title: name, first, rest, background: organisationBackground(random, noun) };
}

export function cityText(city: City, random: Random): DocumentText {
  const pick: Pick = (options) => random.pick(options);
  const { name, country } = city;
  const first = pick([
    `${name} is a city in ${country}.`,
    `${name} is located in ${country}, ${pick(['on the banks of a wide river', 'among low hills', 'on a sheltered bay', 'at the edge of a broad plain'])}.`,
    `The ${pick(['old port', 'market', 'university', 'river', 'hill'])} city of ${name} lies in ${country}.`,
    `${name}, in ${country}, is known for its ${pick(['covered markets', 'old bridges', 'botanical garden', 'long harbour wall', 'painted houses'])}.`,
    `Situated in ${country}, ${name} ${pick(['has grown steadily over the last century', 'is a regional centre for trade', 'draws walkers every summer'])}.`,
  ]);
  const rest = [
    pick([
      `Many of its visitors come from ${city.visitors}.`,
      `It has a large community of families from ${city.visitors}.`,
      `Its sister city is in ${city.visitors}.`,
    ]),
  ];
  return { title: name, first, rest, background: cityBackground(random) };
}

export function eventText(world: World, event: WorldEvent, random: Random): DocumentText {
  const pick: Pick = (options) => random.pick(options);
  const { name, year } = event;
  const venue = world.cities[event.venue]!.name;
  const first = pick([
    `The ${name} was held in ${venue} in ${year}.`,
    `In ${year}, ${venue} hosted the ${name}.`,
    `${venue} was the venue of the ${name}, which took place in ${year}.`,
    `The ${name} took place in ${venue} in ${year}.`,
  ]);
  const organiser = world.organisations[event.organiser]!.name;
  const it = pick([`the ${name}`, 'the event']);
  const rest = [
    pick([
      `${capital(it)} was organised by ${organiser}.`,
      `${organiser} organised ${it}.`,
      `The organiser of ${it} was ${organiser}.`,
      `${organiser} was responsible for organising ${it}.`,
    ]),
  ];
  if (event.sponsor !== undefined) {
    const sponsor = world.organisations[event.sponsor]!.name;
    rest.push(
      pick([
        `${sponsor} was among its sponsors.`,
        `Sponsorship came from ${sponsor}.`,
        `${sponsor} paid for part of the programme as a sponsor.`,
      ]),
    );
  }
  if (event.speaker !== undefined) {
    const speaker = world.people[event.speaker]!.name;
    rest.push(pick([`The keynote speaker was ${speaker}.`, `${speaker} gave the opening address.`]));
  }
  if (event.streamedTo !== undefined) {
    const city = world.cities[event.streamedTo]!.name;
    rest.push(
      pick([`Some sessions were streamed to an audience in ${city}.`, `A public screening of the sessions was arranged in ${city}.`]),
    );
  }
  return { title: name, first, rest, background: eventBackground(random) };
}

/** A news item: entities of the world named in passing, none of their facts stated. */
export function newsText(world: World, doc: number, random: Random): DocumentText {
  const person = () => random.pick(world.people).name;
  const org = () => random.pick(world.organisations).name;
  const city = () => random.pick(world.cities).name;
  const event = () => random.pick(world.events).name;
  const topic = () => random.pick(TOPICS);
  const mentions = [
    () => `${person()} was among the guests at the ${event()}.`,
    () => `${org()} announced a partnership with ${org()}.`,
    () => `${person()} gave an interview about ${topic()}.`,
    () => `Visitors to ${city()} praised its ${random.pick(['markets', 'museums', 'parks', 'cafes'])}.`,
    () => `A delegation from ${org()} visited ${city()}.`,
    () => `${person()} and ${person()} shared a panel on ${topic()}.`,
    () => `Shares in ${org()} moved little this week.`,
    () => `${person()} commented on the plans of ${org()}.`,
    () => `Tickets for the ${event()} were said to be in demand.`,
  ];
  const rest = Array.from({ length: random.int(2, 5) }, () => random.pick(mentions)());
  const title = `${random.pick(['Regional briefs', 'Business notes', 'Around the region', 'Culture roundup', 'The week in brief', 'Letters and notes'])}, no. ${doc}`;
  return { title, first: random.pick(mentions)(), rest, background: newsBackground(random) };
}

const TOPICS = [
  'public transport',
  'housing',
  'river restoration',
  'data privacy',
  'school meals',
  'renewable power',
  'urban gardens',
  'old maps',
  'trade routes',
  'local history',
  'water quality',
  'museum funding',
];
/** Two different traits: "patient and patient" reads as a slip. */
function traits(random: Random): string {
  const [a, b] = random.shuffle([...TRAITS]);
  return `${a} and ${b}`;
}

const TRAITS = ['patient', 'exacting', 'generous', 'curious', 'blunt', 'methodical', 'warm', 'restless', 'meticulous', 'good-humoured'];
const HOBBIES = [
  'long-distance cycling',
  'sailing',
  'choral singing',
  'restoring old clocks',
  'mountain walks',
  'chess',
  'gardening',
  'amateur astronomy',
  'bird-watching',
  'baking bread',
];

function personBackground(random: Random, pronoun: Person['pronoun']): string[] {
  const [P, p, pos, obj] = pronoun === 'she' ? ['She', 'she', 'Her', 'her'] : ['He', 'he', 'His', 'him'];
  const pick: Pick = (options) => random.pick(options);
  return [
    `Colleagues describe ${obj} as ${traits(random)}.`,
    `In interviews ${p} often returns to the subject of ${pick(TOPICS)}.`,
    `${pos} early work dealt with ${pick(TOPICS)}.`,
    `${P} is known among peers for ${pick(['answering every letter', 'long working days', 'careful notes', 'plain speaking', 'a dry wit'])}.`,
    `Outside work, ${p} enjoys ${pick(HOBBIES)}.`,
    `${P} has mentored a number of younger colleagues.`,
    `A trade magazine once called ${obj} ${pick(['one of the quieter talents of the field', 'hard to surprise', 'a natural teacher', 'stubborn in the best sense'])}.`,
    `${P} keeps a notebook of ideas about ${pick(TOPICS)}.`,
  ];
}

function organisationBackground(random: Random, noun: string): string[] {
  const pick: Pick = (options) => random.pick(options);
  const area = () =>
    pick(['research', 'training', 'customer service', 'its supply chain', 'new products', 'software', 'export markets', 'quality control']);
  return [
    `Its latest annual report pointed to ${pick(['steady growth', 'a difficult year', 'rising costs', 'record orders', 'a shift in demand'])}.`,
    `Staff numbers have ${pick(['doubled', 'grown slowly', 'held steady', 'fallen slightly'])} over the past decade.`,
    `Analysts regard its work on ${area()} as ${pick(['solid', 'ambitious', 'uneven', 'promising', 'conservative'])}.`,
    `The ${noun} has invested in ${area()} in recent years.`,
    `People who have worked with it describe the culture as ${traits(random)}.`,
    `It publishes a short newsletter on ${pick(TOPICS)} every quarter.`,
    `Much of its income comes from ${area()}.`,
  ];
}

function cityBackground(random: Random): string[] {
  const pick: Pick = (options) => random.pick(options);
  const place = () => pick(['market square', 'harbour', 'main library', 'railway station', 'old quarter', 'riverside park']);
  return [
    `The ${place()} is busiest on ${pick(['Saturdays', 'market days', 'summer evenings', 'Sunday mornings'])}.`,
    `Local cooking is known for ${pick(['smoked fish', 'rye bread', 'berry tarts', 'slow-cooked stews', 'hard cheeses'])}.`,
    `The ${pick(['cathedral', 'town hall', 'stone bridge', 'customs house', 'clock tower'])} dates from the ${pick(['fourteenth', 'sixteenth', 'eighteenth', 'nineteenth'])} century.`,
    `Winters are ${pick(['long', 'mild', 'wet', 'bright and cold'])} and summers ${pick(['short', 'warm', 'windy', 'dry'])}.`,
    `A ${pick(['tram line', 'ferry', 'bus route', 'cable car'])} links the centre with the outer districts.`,
    `The population has ${pick(['grown', 'shrunk', 'changed'])} slowly in recent decades.`,
    `Each ${pick(['spring', 'autumn', 'winter'])} the ${place()} fills with a small fair.`,
  ];
}

function eventBackground(random: Random): string[] {
  const pick: Pick = (options) => random.pick(options);
  return [
    pick([
      'Attendance was higher than many had expected.',
      'Attendance was lower than the year before.',
      'Attendance was about what many had hoped for.',
    ]),
    `Panels covered ${pick(TOPICS)} and ${pick(TOPICS)}.`,
    `Tickets sold out ${pick(['within days', 'weeks in advance', 'on the first morning', 'only at the last minute'])}.`,
    `Reviews in the local press were ${pick(['warm', 'mixed', 'glowing', 'cautious'])}.`,
    `Volunteers handled ${pick(['registration', 'the catering', 'the stage crew', 'guided tours'])}.`,
    `The programme ran over ${pick(['two', 'three', 'four', 'five'])} days.`,
    `Several sessions ran late, ${pick(["to nobody's surprise", 'as lively debates went on', 'because of a power cut', 'which the audience did not seem to mind'])}.`,
  ];
}

function newsBackground(random: Random): string[] {
  const pick: Pick = (options) => random.pick(options);
  return [
    `Council officials said the road works would finish ${pick(['by spring', 'before the summer', 'later than planned'])}.`,
    `Readers wrote in about ${pick(TOPICS)}.`,
    `The weather ${pick(['stayed mild', 'turned cold', 'kept the crowds away', 'was kind to the local fair'])} for most of the week.`,
    `A new survey on ${pick(TOPICS)} is expected next month.`,
    `Prices at the ${pick(['fish market', 'farmers market', 'petrol station', 'bakeries'])} ${pick(['rose', 'fell', 'held steady'])} again.`,
  ];
}

function capital(text: string): string {
  return text[0]!.toUpperCase() + text.slice(1);
}

function article(word: string): string {
  return `${/^[aeiou]/.test(word) ? 'an' : 'a'} ${word}`;
}
