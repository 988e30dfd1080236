/**
 * Deterministic "realistic" context text for the benchmarks: a mix of application log lines,
 * prose sentences and CSV-like records, about 40-160 characters a line, ASCII only (as most
 * English text, code and logs are; see BENCHMARKS.md for what a non-ASCII character changes).
 *
 * The text is written into one Buffer and decoded once as UTF-8, the way a context read from a
 * file (`readFileSync(path, 'utf8')`) arrives, so it is one flat string and generating it costs
 * about twice its size at the peak (the Buffer and the string), not an array of millions of lines.
 */

const MiB = 1024 * 1024;

const WORDS = (
  'the of and to in is was that for it with as his on be at by had are but from or have an they which one you were her all she there ' +
  'would their we him been has when who will more no if out so said what up its about into than them can only other new some could ' +
  'time these two may then do first any my now such like our over man me even most made after also did many before must through ' +
  'back years where much your way well down should because each just those people how too little state good very make world still ' +
  'own see men work long get here between both life being under never day same another know while last might us great old year off ' +
  'come since against go came right used take three ledger harbour captain invoice shipment warehouse contract clause tenant ' +
  'quarterly revenue margin forecast outage latency replica cluster migration schema backlog sprint reviewer deadline budget'
).split(' ');

const SERVICES = ['api', 'auth', 'billing', 'search', 'worker', 'gateway', 'scheduler', 'ingest'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
const PATHS = ['/v1/orders', '/v1/users/me', '/v1/search', '/v1/invoices', '/healthz', '/v1/reports/monthly', '/v1/login'];
const CITIES = ['Lisbon', 'Osaka', 'Nairobi', 'Toronto', 'Lyon', 'Austin', 'Pune', 'Gdansk', 'Quito', 'Perth'];

/** mulberry32: a small, fast, seeded PRNG, so every run measures the same text. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** One line of text (without its newline). */
function makeLine(random: () => number, n: number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const kind = random();
  if (kind < 0.45) {
    const s = n % 86_400;
    const time = `2024-${pad(1 + (Math.floor(n / 86_400) % 12), 2)}-${pad(1 + (n % 28), 2)}T${pad(Math.floor(s / 3600), 2)}:${pad(Math.floor(s / 60) % 60, 2)}:${pad(s % 60, 2)}.${pad(Math.floor(random() * 1000), 3)}Z`;
    const level = pick(LEVELS);
    const words = Array.from({ length: 3 + Math.floor(random() * 6) }, () => pick(WORDS)).join(' ');
    return `${time} ${level.padEnd(5)} service=${pick(SERVICES)} req=${Math.floor(random() * 0xffffffff)
      .toString(16)
      .padStart(
        8,
        '0',
      )} user=${1000 + Math.floor(random() * 90_000)} path=${pick(PATHS)} status=${random() < 0.93 ? 200 : pick([400, 404, 429, 500, 503])} latency_ms=${Math.floor(random() * random() * 2000)} msg="${words}"`;
  }
  if (kind < 0.85) {
    const count = 8 + Math.floor(random() * 18);
    const words = Array.from({ length: count }, () => pick(WORDS));
    const first = words[0] ?? 'the';
    words[0] = first.charAt(0).toUpperCase() + first.slice(1);
    if (random() < 0.3) words.splice(1 + Math.floor(random() * (count - 1)), 0, `${pick(CITIES)},`);
    return `${words.join(' ')}.`;
  }
  return `${100_000 + n},${pick(CITIES)},${pick(WORDS)} ${pick(WORDS)},${(random() * 10_000).toFixed(2)},${random() < 0.5 ? 'paid' : 'open'},2024-${pad(1 + Math.floor(random() * 12), 2)}-${pad(1 + Math.floor(random() * 28), 2)}`;
}

export interface TextOptions {
  /**
   * Put typographic punctuation (U+2019 apostrophes, U+2014 dashes, outside Latin-1) in about one
   * prose line in four. The bytes stay `bytes` (UTF-8), but V8 then holds the string as UTF-16.
   */
  wide?: boolean;
  /** Lines planted at fixed fractions of the text (0..1), e.g. a needle to search for. */
  plant?: Array<{ at: number; line: string }>;
  seed?: number;
}

/** Text of exactly `bytes` bytes as UTF-8 (ASCII unless `wide`), ending in a newline. */
export function makeText(bytes: number, options: TextOptions = {}): string {
  const random = prng(options.seed ?? 42);
  const buffer = Buffer.allocUnsafe(bytes);
  const plants = [...(options.plant ?? [])].sort((a, b) => a.at - b.at).map((p) => ({ offset: Math.floor(p.at * bytes), line: p.line }));
  let offset = 0;
  let n = 0;
  while (offset < bytes) {
    const next = plants[0];
    let line: string;
    if (next && offset >= next.offset) {
      line = next.line;
      plants.shift();
    } else {
      line = makeLine(random, n++);
      if (options.wide && line.endsWith('.') && random() < 0.25) line = `${line.slice(0, -1)} \u2014 or so it\u2019s said.`;
    }
    // Buffer.write writes only whole characters: a line cut by the end of the buffer may leave a
    // byte or two unwritten, filled with spaces.
    const written = buffer.write(`${line}\n`, offset, 'utf8');
    if (written === 0) {
      buffer.fill(0x20, offset);
      break;
    }
    offset += written;
  }
  // The last line may have been cut by the end of the buffer: end on a newline all the same.
  buffer[bytes - 1] = 0x0a;
  return buffer.toString('utf8');
}

export function mib(n: number): number {
  return n * MiB;
}
