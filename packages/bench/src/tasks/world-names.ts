/**
 * Names for the generated world of the BrowseComp-style task, and their confusable twins: "Mara
 * Lindqvist" beside "Mara Lindquist", "Northwind Analytics" beside "Northwind Analytica". A twin
 * differs by a letter or an ending, so a careless search for one name finds the other.
 */
import type { Random } from './random.ts';

export type Pronoun = 'she' | 'he';

/** Real countries, so that answers read naturally; none is a word of another ("Guinea"). */
export const COUNTRIES = [
  'Norway',
  'Sweden',
  'Finland',
  'Denmark',
  'Iceland',
  'Estonia',
  'Latvia',
  'Lithuania',
  'Poland',
  'Austria',
  'Hungary',
  'Portugal',
  'Spain',
  'Ireland',
  'Belgium',
  'Switzerland',
  'Slovenia',
  'Croatia',
  'Greece',
  'Chile',
  'Peru',
  'Canada',
  'Japan',
  'New Zealand',
];

const FIRST: Record<Pronoun, string[]> = {
  she: [
    'Mara',
    'Ingrid',
    'Sofia',
    'Elena',
    'Clara',
    'Nadia',
    'Helena',
    'Liv',
    'Astrid',
    'Greta',
    'Lena',
    'Alma',
    'Irene',
    'Vera',
    'Hanna',
    'Julia',
    'Maren',
    'Petra',
    'Signe',
    'Tove',
    'Ada',
    'Beatrix',
    'Carla',
    'Dora',
    'Elise',
    'Freja',
    'Ines',
    'Katya',
    'Lotte',
    'Mira',
  ],
  he: [
    'Anders',
    'Tomas',
    'Jonas',
    'Henrik',
    'Mats',
    'Pavel',
    'Nils',
    'Oskar',
    'Viktor',
    'Emil',
    'Lukas',
    'Felix',
    'Hugo',
    'Leon',
    'Matteo',
    'Aron',
    'Bruno',
    'Carl',
    'Erik',
    'Filip',
    'Gustav',
    'Ivan',
    'Jakob',
    'Karl',
    'Lars',
    'Magnus',
    'Olof',
    'Rasmus',
    'Sven',
    'Teodor',
  ],
};

const LAST = [
  'Lindqvist',
  'Halvorsen',
  'Berglund',
  'Sandberg',
  'Ekstrom',
  'Nyberg',
  'Holmgren',
  'Dahlberg',
  'Strandberg',
  'Karlsen',
  'Moreau',
  'Lefevre',
  'Novak',
  'Horvath',
  'Kowalski',
  'Brandt',
  'Keller',
  'Vogel',
  'Fischer',
  'Hartmann',
  'Romano',
  'Ferreira',
  'Costa',
  'Marin',
  'Ortega',
  'Castillo',
  'Petrov',
  'Virtanen',
  'Laine',
  'Korhonen',
  'Aalto',
  'Heikkinen',
  'Jansen',
  'Visser',
  'Bakker',
  'Mulder',
  'Dekker',
  'Peeters',
  'Maes',
  'Claes',
  'Lambert',
  'Girard',
  'Mercier',
  'Bonnet',
  'Fontaine',
  'Rousseau',
  'Albrecht',
  'Lorenz',
  'Weber',
  'Schreiber',
  'Winter',
  'Sommer',
  'Falk',
  'Engstrom',
  'Sjoberg',
  'Lundgren',
  'Wallin',
  'Akerman',
  'Bergstrom',
  'Hedlund',
  'Kristiansen',
  'Solberg',
  'Haugen',
  'Eriksen',
  'Bakken',
  'Moen',
  'Rasmussen',
  'Thomsen',
  'Nielsen',
  'Madsen',
  'Sorensen',
  'Vesely',
  'Dvorak',
  'Kralik',
  'Szabo',
  'Farkas',
  'Molnar',
  'Toth',
  'Varga',
];

const ORG_STEMS = [
  'Northwind',
  'Copperleaf',
  'Bluestone',
  'Silverline',
  'Greyfield',
  'Redwood',
  'Ironbridge',
  'Clearwater',
  'Stonegate',
  'Brightpath',
  'Highmoor',
  'Oakridge',
  'Westbrook',
  'Eastgate',
  'Fairhaven',
  'Goldcrest',
  'Harborview',
  'Kingsley',
  'Lakeshore',
  'Maplewood',
  'Meridian',
  'Northstar',
  'Pinecrest',
  'Quarrytown',
  'Riverbend',
  'Sandstone',
  'Thornbury',
  'Umberfield',
  'Valeport',
  'Whitecliff',
  'Ashford',
  'Birchwood',
  'Cedarline',
  'Dovetail',
  'Elmstead',
  'Falconer',
  'Glenmore',
  'Hawthorn',
  'Juniper',
  'Kestrel',
  'Larkspur',
  'Moorland',
  'Nettlefield',
  'Orchardly',
  'Peregrine',
  'Quillon',
  'Rosewell',
  'Saltmarsh',
  'Tidewater',
  'Upland',
  'Vantage',
  'Wayfarer',
  'Yarrow',
  'Zephyr',
  'Amberley',
  'Blackthorn',
  'Coldspring',
  'Driftwood',
  'Evergreen',
  'Foxglove',
];

/** Organisation kinds, each with a confusable variant for twins. */
const ORG_KINDS: Record<string, string> = {
  Analytics: 'Analytica',
  Systems: 'Systemics',
  Logistics: 'Logistica',
  Partners: 'Partnership',
  Holdings: 'Holding',
  Robotics: 'Robotica',
  Dynamics: 'Dynamica',
  Networks: 'Network',
  Solutions: 'Solution',
  Ventures: 'Venture',
  Labs: 'Lab',
  Energy: 'Energie',
  Foods: 'Food',
  Media: 'Medien',
  Capital: 'Capitol',
  Industries: 'Industria',
  Instruments: 'Instrument',
  Materials: 'Material',
  Software: 'Softworks',
  Health: 'Healthcare',
};

const EVENT_STEMS = [
  'Harbourlight',
  'Brightwater',
  'Amberfield',
  'Silverpine',
  'Coldbrook',
  'Greenhollow',
  'Starling',
  'Moonrise',
  'Windmere',
  'Highcliff',
  'Seabright',
  'Lanternfield',
  'Fernhill',
  'Goldenleaf',
  'Stillwater',
  'Ravenscroft',
  'Sunmeadow',
  'Thistledown',
  'Wildrose',
  'Bramblewood',
  'Crestview',
  'Deepwell',
  'Emberglow',
  'Frostgate',
  'Glasswater',
  'Hollowmere',
  'Ivybridge',
  'Kingsmere',
  'Longmeadow',
  'Mistral',
  'Nightingale',
  'Opaline',
  'Primrose',
  'Quicksilver',
  'Redcliffe',
  'Skylark',
  'Tallgrass',
  'Whitesand',
  'Bluebell',
  'Copperfield',
];
const EVENT_TOPICS = [
  'Climate',
  'Design',
  'Film',
  'Jazz',
  'Literature',
  'Architecture',
  'Photography',
  'Medicine',
  'Education',
  'Startup',
  'Maritime',
  'Agriculture',
  'Mathematics',
  'Astronomy',
  'Poetry',
  'Chess',
  'Wine',
  'Textile',
  'Ceramics',
  'Dance',
];
const EVENT_TYPES = ['Summit', 'Forum', 'Festival', 'Conference', 'Symposium', 'Expo', 'Fair', 'Congress'];

const CITY_HEADS = [
  'Val',
  'Bran',
  'Kor',
  'Ost',
  'Mar',
  'Tel',
  'Hav',
  'Lun',
  'Ser',
  'Dor',
  'Fen',
  'Gal',
  'Ris',
  'Ald',
  'Bel',
  'Cal',
  'Hel',
  'Kest',
  'Nor',
  'Pell',
  'Quen',
  'Rav',
  'Stav',
  'Tor',
  'Ulm',
  'Vess',
  'Wen',
  'Yar',
  'Zel',
  'Ard',
];
const CITY_MIDDLES = ['', '', 'en', 'a', 'ing', 'er', 'o'];
/** City endings, each with a confusable variant for twins (Valdmor and Valdmore). */
const CITY_TAILS: Record<string, string> = {
  mor: 'more',
  by: 'bay',
  stad: 'stadt',
  heim: 'ham',
  holm: 'holme',
  ford: 'forth',
  wick: 'wich',
  dal: 'dale',
  burg: 'berg',
  port: 'porte',
  vik: 'wik',
  mouth: 'muth',
  ness: 'nes',
  ton: 'town',
  field: 'feld',
  gard: 'garth',
  lund: 'lunde',
  sted: 'stead',
  haven: 'hafen',
  mere: 'mare',
};

/** Endings that swap for a near-identical one (Lindqvist and Lindquist, Karlsen and Karlson). */
const ENDING_SWAPS: Array<[string, string]> = [
  ['qvist', 'quist'],
  ['sen', 'son'],
  ['son', 'sen'],
  ['berg', 'burg'],
  ['lund', 'lind'],
  ['gren', 'green'],
  ['strom', 'stram'],
  ['er', 'ar'],
  ['en', 'an'],
  ['eau', 'au'],
  ['ier', 'ie'],
  ['et', 'ette'],
  ['ak', 'ack'],
  ['th', 't'],
  ['o', 'a'],
  ['a', 'o'],
  ['i', 'y'],
  ['ck', 'k'],
  ['ey', 'ay'],
  ['ll', 'l'],
];
const VOWEL_SWAPS: Record<string, string> = { a: 'e', e: 'a', i: 'y', o: 'u', u: 'o', y: 'i' };

/** The names of one world: every name unique, and no city name a word of any other name. */
export class NameBook {
  readonly #random: Random;
  readonly #used = new Set<string>();
  /** Every word of every multi-word name: a city may not be one (a search for it would hit them). */
  readonly #words = new Set<string>();
  readonly #cities = new Set<string>();

  constructor(random: Random) {
    this.#random = random;
  }

  person(): { name: string; pronoun: Pronoun } {
    const pronoun: Pronoun = this.#random.next() < 0.5 ? 'she' : 'he';
    return { name: this.#fresh(() => `${this.#random.pick(FIRST[pronoun])} ${this.#random.pick(LAST)}`), pronoun };
  }

  organisation(): string {
    const kinds = Object.keys(ORG_KINDS);
    return this.#fresh(() => `${this.#random.pick(ORG_STEMS)} ${this.#random.pick(kinds)}`);
  }

  event(): string {
    return this.#fresh(() => `${this.#random.pick(EVENT_STEMS)} ${this.#random.pick(EVENT_TOPICS)} ${this.#random.pick(EVENT_TYPES)}`);
  }

  city(): string {
    const tails = Object.keys(CITY_TAILS);
    return this.#fresh(() => `${this.#random.pick(CITY_HEADS)}${this.#random.pick(CITY_MIDDLES)}${this.#random.pick(tails)}`);
  }

  /**
   * A confusable twin of a name made by this book: a person's surname changed by a letter or an
   * ending; an organisation's kind or stem; a city's ending or a vowel; an event's stem.
   */
  twin(name: string, of: 'person' | 'organisation' | 'event' | 'city'): string {
    const words = name.split(' ');
    const candidates: string[] = [];
    const withWord = (at: number, word: string) => words.map((w, i) => (i === at ? word : w)).join(' ');
    if (of === 'person') for (const last of confusableWords(words[1]!)) candidates.push(withWord(1, last));
    if (of === 'organisation') {
      const kind = ORG_KINDS[words[1]!];
      if (kind) candidates.push(withWord(1, kind));
      for (const stem of confusableWords(words[0]!)) candidates.push(withWord(0, stem));
    }
    if (of === 'event') for (const stem of confusableWords(words[0]!)) candidates.push(withWord(0, stem));
    if (of === 'city') {
      for (const [tail, variant] of Object.entries(CITY_TAILS))
        if (name.endsWith(tail)) candidates.push(name.slice(0, -tail.length) + variant);
      candidates.push(...confusableWords(name));
    }
    const free = this.#random.shuffle(candidates.filter((c) => c !== name && this.#available(c)));
    // Rarely every near name is taken: then any fresh name (a person keeps the first name, so the pronoun still fits).
    if (free.length === 0)
      return of === 'person'
        ? this.#fresh(() => `${words[0]} ${this.#random.pick(LAST)}`)
        : of === 'organisation'
          ? this.organisation()
          : of === 'event'
            ? this.event()
            : this.city();
    this.#take(free[0]!);
    return free[0]!;
  }

  #fresh(make: () => string): string {
    for (let tries = 0; tries < 10_000; tries++) {
      const name = make();
      if (this.#available(name)) {
        this.#take(name);
        return name;
      }
    }
    throw new Error('the world is too large for its name lists');
  }

  #available(name: string): boolean {
    if (this.#used.has(name)) return false;
    const words = name.split(' ');
    if (words.length === 1) return !this.#words.has(name);
    return words.every((w) => !this.#cities.has(w));
  }

  #take(name: string): void {
    this.#used.add(name);
    const words = name.split(' ');
    if (words.length === 1) this.#cities.add(name);
    else for (const w of words) this.#words.add(w);
  }
}

/** Words a letter or an ending away from `word`: swapped endings, a changed vowel, a doubled consonant. */
function confusableWords(word: string): string[] {
  const out: string[] = [];
  for (const [from, to] of ENDING_SWAPS)
    if (word.endsWith(from) && word.length > from.length + 2) out.push(word.slice(0, -from.length) + to);
  for (let i = 2; i < word.length - 1; i++) {
    const swap = VOWEL_SWAPS[word[i]!];
    if (swap) out.push(word.slice(0, i) + swap + word.slice(i + 1));
    const single = /[bdfglmnprt]/.test(word[i]!) && word[i - 1] !== word[i] && word[i + 1] !== word[i];
    if (single && /[aeiou]/.test(word[i - 1]!) && /[aeiou]/.test(word[i + 1]!)) out.push(word.slice(0, i) + word[i] + word.slice(i));
  }
  return out;
}
