/**
 * CodeQA-style questions (as LongBench-v2's code repository understanding): multiple choice
 * about a real code base on disk, answered by reading it. The context is the code base as text,
 * each file under a header line `==> path <==`; the questions are where a function is defined,
 * which function calls another, which function is never used, how many parameters a function
 * declares, and which file does not import a module. Every answer is computed by static analysis
 * of exactly the files in the context. Scored by the letter picked.
 */
import { posix } from 'node:path';
import type { FunctionDefinition, SourceFile } from './code-analysis.ts';
import { readCodeTree, type CodeTree } from './code-tree.ts';
import { instanceSeed, Random } from './random.ts';
import { CHOICE_LETTERS } from './scoring.ts';
import { CHARS_PER_TOKEN, formatTokens, type TaskInstance } from './task.ts';

/** The kinds of question a codeqa instance asks about its code base. */
export type CodeQuestion = 'where-defined' | 'calls' | 'unused' | 'parameters' | 'not-imported';
/** Every kind of codeqa question, in the order instances take them. */
export const CODEQA_QUESTIONS: readonly CodeQuestion[] = ['where-defined', 'calls', 'unused', 'parameters', 'not-imported'];

export interface CodeQaOptions {
  /** A package tree: any folder holding JavaScript or TypeScript sources. */
  codeRoot: string;
}

/** Fewer named functions than this in a whole tree make too few questions to be worth asking. */
const MIN_FUNCTIONS = 8;
/** Choices of files tried before giving up on a size. */
const ATTEMPTS = 8;

/**
 * Names that say too little, or that are also names of built-in methods (a call `x.parse(...)`
 * may be `JSON.parse`): questions about them would be guesses about which one is meant.
 */
const GENERIC = new Set(
  (
    'constructor toString toLocaleString valueOf toJSON hasOwnProperty then catch finally call apply bind push pop shift ' +
    'unshift slice splice concat join map filter reduce reduceRight forEach find findIndex findLast some every includes ' +
    'indexOf lastIndexOf keys values entries get set has add delete clear sort reverse fill flat flatMap at size length ' +
    'name test exec match matchAll replace replaceAll split trim trimStart trimEnd padStart padEnd startsWith endsWith ' +
    'charAt charCodeAt codePointAt substring toLowerCase toUpperCase repeat normalize localeCompare parse stringify ' +
    'assign freeze from all race any resolve reject next done init run main start stop handler callback ' +
    'noop func default index render update emit once log error warn debug info assert require exports module write ' +
    'read open close send fetch load value item data result self options config args wrap process handle execute'
  ).split(' '),
);

interface Question {
  query: string;
  options: string[];
  answer: string;
}

/**
 * Instance `index` over the package tree at `options.codeRoot`: a seeded choice of whole files
 * filling at most `targetTokens` (about 4 characters a token), in path order, then one question
 * about them. A tree smaller than the target is given whole (the id still names the size asked
 * for); a target smaller than every file gives the smallest file alone. The tree is read and
 * analysed once per process.
 *
 * @example
 * const task = generateCodeQa(32_000, 0, 1, { codeRoot: 'node_modules/semver' });
 * task.query; // "... In which file is the function `satisfies` defined?\n(A) ..."
 */
export function generateCodeQa(targetTokens: number, index: number, seed: number, options: CodeQaOptions): TaskInstance {
  const tree = readCodeTree(options.codeRoot);
  const functions = askableInTree(tree);
  if (functions < MIN_FUNCTIONS) {
    throw new Error(
      `${options.codeRoot} has ${functions} named functions to ask about, too few for code questions; point at a package tree with JavaScript or TypeScript sources`,
    );
  }
  const random = new Random(instanceSeed(seed, 'codeqa', targetTokens, index));
  const first = index % CODEQA_QUESTIONS.length;
  let files: SourceFile[] = [];
  let question: Question | undefined;
  for (let attempt = 0; attempt < ATTEMPTS && !question; attempt++) {
    files = chooseFiles(tree.files, targetTokens * CHARS_PER_TOKEN, random);
    const facts = new Facts(files, tree);
    // A question that cannot be asked of these files (no unused function, say) gives way to the
    // next kind; when none can, other files are chosen.
    for (let k = 0; k < CODEQA_QUESTIONS.length && !question; k++)
      question = ask(CODEQA_QUESTIONS[(first + k) % CODEQA_QUESTIONS.length]!, facts, random);
    if (files.length === tree.files.length) break;
  }
  if (!question) {
    throw new Error(
      `no code question can be asked about the ${files.length} files of ${options.codeRoot} that fit in ${formatTokens(targetTokens)} tokens (too few functions defined there exactly once); try another size or package tree`,
    );
  }
  const listed = question.options.map((option, i) => `(${CHOICE_LETTERS[i]}) ${option}`).join('\n');
  return {
    // The code base's fingerprint too: results for one tree are never taken for another's.
    id: `codeqa-${formatTokens(targetTokens)}-${index}-s${seed}-${tree.fingerprint}`,
    family: 'codeqa',
    targetTokens,
    seed,
    query: `The context is the source code of a JavaScript or TypeScript code base: ${files.length} files, each after a header line \`==> path <==\`.\n\n${question.query}\n${listed}\nAnswer with the letter of the right option only.`,
    context: files.map(section).join('\n'),
    answer: question.answer,
    score: 'choice',
    options: question.options,
  };
}

/** The tokens of the largest context a code base gives: all its files, as a codeqa context holds them. */
export function codeBaseTokens(codeRoot: string): number {
  const { files } = readCodeTree(codeRoot);
  // The sections, one after another, a line break between each two.
  const chars = files.reduce((sum, file) => sum + sectionLength(file), 0) + files.length - 1;
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

function section(file: SourceFile): string {
  return `==> ${file.path} <==\n${file.text.endsWith('\n') ? file.text : `${file.text}\n`}`;
}

/** `section(file).length`, without making the string. */
function sectionLength(file: SourceFile): number {
  return `==> ${file.path} <==\n`.length + file.text.length + (file.text.endsWith('\n') ? 0 : 1);
}

/**
 * From a seeded starting file onward in path order (wrapping around), every file that still
 * fits: neighbouring files (which tend to use each other) stay together.
 */
function chooseFiles(files: readonly SourceFile[], budget: number, random: Random): SourceFile[] {
  const sizes = files.map(sectionLength);
  const start = random.int(0, files.length - 1);
  const chosen: number[] = [];
  let used = 0;
  for (let k = 0; k < files.length; k++) {
    const i = (start + k) % files.length;
    const cost = sizes[i]! + (chosen.length > 0 ? 1 : 0);
    if (used + cost > budget) continue;
    chosen.push(i);
    used += cost;
  }
  if (chosen.length === 0) chosen.push(sizes.reduce((smallest, size, i) => (size < sizes[smallest]! ? i : smallest), 0));
  return chosen.sort((a, b) => a - b).map((i) => files[i]!);
}

/** A name as a whole word: not part of a longer identifier. */
function word(name: string, flags = ''): RegExp {
  return new RegExp(`(?<![\\w$])${name}(?![\\w$])`, flags);
}

function isAskableName(name: string): boolean {
  return /^[A-Za-z_]\w{2,}$/.test(name) && !GENERIC.has(name);
}

/** Distinct telling names of functions in the whole tree (a name defined twice, as in two builds of one package, is asked about only where one copy is shown). */
function askableInTree(tree: CodeTree): number {
  return new Set(tree.files.flatMap((file) => file.definitions.map((d) => d.name)).filter(isAskableName)).size;
}

/** What the chosen files say, gathered once for the question. */
class Facts {
  readonly files: readonly SourceFile[];
  readonly tree: CodeTree;
  /** Functions defined exactly once in these files, with a telling name, in file order. */
  readonly askable: FunctionDefinition[];
  readonly #mentions = new Map<string, number>();
  readonly #looksDefinedIn = new Map<string, Set<string>>();
  readonly #askableByName: Map<string, FunctionDefinition>;
  readonly #byPath: Map<string, SourceFile>;

  constructor(files: readonly SourceFile[], tree: CodeTree) {
    this.files = files;
    this.tree = tree;
    this.#byPath = new Map(files.map((file) => [file.path, file]));
    const definitions = files.flatMap((file) => file.definitions);
    const counts = new Map<string, number>();
    for (const d of definitions) counts.set(d.name, (counts.get(d.name) ?? 0) + 1);
    // A name also written in type-only code (an overload, an interface) may look defined twice to a reader.
    const typeOnly = new Set(files.flatMap((file) => [...file.typeOnlyNames]));
    this.askable = definitions.filter((d) => counts.get(d.name) === 1 && isAskableName(d.name) && !typeOnly.has(d.name));
    this.#askableByName = new Map(this.askable.map((d) => [d.name, d]));
  }

  /** The files whose text reads as defining the name (see {@link looksDefined}). */
  looksDefinedIn(name: string): ReadonlySet<string> {
    let paths = this.#looksDefinedIn.get(name);
    if (!paths) {
      paths = new Set(this.files.filter((file) => looksDefined(file.text, name)).map((file) => file.path));
      this.#looksDefinedIn.set(name, paths);
    }
    return paths;
  }

  /**
   * An askable function whose text is not contradicted by another file that reads as defining
   * the same name (code in a string, say): a reader sees one definition too.
   */
  plain(name: string): boolean {
    const definition = this.#askableByName.get(name);
    return definition !== undefined && [...this.looksDefinedIn(name)].every((path) => path === definition.file);
  }

  textOf(definition: FunctionDefinition): string {
    return this.#byPath.get(definition.file)!.text.slice(definition.start, definition.end);
  }

  /** Occurrences of the name as a word in the files' text, comments and strings included. */
  mentions(name: string): number {
    let count = this.#mentions.get(name);
    if (count === undefined) {
      count = this.files.reduce((sum, file) => sum + (file.text.match(word(name, 'g'))?.length ?? 0), 0);
      this.#mentions.set(name, count);
    }
    return count;
  }

  /** References to the definition's name outside the definition itself. */
  referencesOutside(definition: FunctionDefinition): number {
    let count = 0;
    for (const file of this.files) {
      for (const at of file.references.get(definition.name) ?? []) {
        if (file.path !== definition.file || at < definition.start || at >= definition.end) count++;
      }
    }
    return count;
  }

  modulesOf(file: SourceFile): ReadonlySet<string> {
    return this.tree.modules.get(file) ?? new Set();
  }
}

function ask(kind: CodeQuestion, facts: Facts, random: Random): Question | undefined {
  switch (kind) {
    case 'where-defined':
      return whereDefined(facts, random);
    case 'calls':
      return calls(facts, random);
    case 'unused':
      return unused(facts, random);
    case 'parameters':
      return parameters(facts, random);
    case 'not-imported':
      return notImported(facts, random);
  }
}

/**
 * The options in a seeded order, the answer's letter. The distractors come from `pools`, nearest
 * first; none may contain another option's text (a reply naming one would name both).
 */
function choice(
  random: Random,
  query: string,
  answer: string,
  pools: string[][],
  accept: (candidate: string) => boolean = () => true,
): Question | undefined {
  const options = [answer];
  for (const pool of pools) {
    for (const candidate of random.shuffle([...new Set(pool)])) {
      if (options.length === 4) break;
      if (options.every((option) => !option.includes(candidate) && !candidate.includes(option)) && accept(candidate))
        options.push(candidate);
    }
  }
  if (options.length < 4) return undefined;
  random.shuffle(options);
  return { query, options, answer: CHOICE_LETTERS[options.indexOf(answer)]! };
}

/** Text that reads as a definition of the name, even where the analysis saw none (a distractor must not). */
function looksDefined(text: string, name: string): boolean {
  return new RegExp(
    `function\\s*\\*?\\s*${name}\\s*[(<]|(?<![\\w$])${name}\\s*[:=]\\s*(?:async\\b|function\\b|\\(|[\\w$]+\\s*=>)|^[\\t ]*(?:[a-z]+\\s+)*\\*?${name}\\s*[(<].*\\{`,
    'm',
  ).test(text);
}

function dir(path: string): string {
  return posix.dirname(path);
}

/** In which file is X defined? The others are files that mention X, then its neighbours. */
function whereDefined(facts: Facts, random: Random): Question | undefined {
  for (const definition of random.shuffle([...facts.askable])) {
    if (!facts.plain(definition.name)) continue;
    const others = facts.files.filter((file) => file.path !== definition.file && !facts.looksDefinedIn(definition.name).has(file.path));
    const named = word(definition.name);
    const mentioning = others.filter((file) => named.test(file.text));
    const near = others.filter((file) => !mentioning.includes(file) && dir(file.path) === dir(definition.file));
    const question = choice(random, `In which file is the function \`${definition.name}\` defined?`, definition.file, [
      mentioning.map((f) => f.path),
      near.map((f) => f.path),
      others.map((f) => f.path),
    ]);
    if (question) return question;
  }
  return undefined;
}

/** Which of these functions calls Y? The others do not even mention Y. */
function calls(facts: Facts, random: Random): Question | undefined {
  const askable = new Set(facts.askable);
  const askableNames = new Set(facts.askable.map((d) => d.name));
  const callers = new Map<string, Set<FunctionDefinition>>();
  for (const file of facts.files) {
    for (const { caller, callee } of file.calls) {
      if (!caller || !askable.has(caller) || caller.name === callee || !askableNames.has(callee)) continue;
      if (!callers.has(callee)) callers.set(callee, new Set());
      callers.get(callee)!.add(caller);
    }
  }
  for (const callee of random.shuffle([...callers.keys()])) {
    const plainCallers = [...callers.get(callee)!].filter((d) => facts.plain(d.name));
    if (!facts.plain(callee) || plainCallers.length === 0) continue;
    const caller = random.pick(plainCallers);
    if (!new RegExp(`(?<![\\w$])${callee}\\s*(?:\\?\\.)?\\(`).test(facts.textOf(caller))) continue;
    const named = word(callee);
    const silent = facts.askable.filter((d) => d !== caller && d.name !== callee && !named.test(facts.textOf(d)));
    const mentioning = new Set(facts.files.filter((file) => named.test(file.text)).map((file) => file.path));
    const question = choice(
      random,
      `Which of these functions calls \`${callee}\` directly?`,
      caller.name,
      [
        silent.filter((d) => d.file === caller.file).map((d) => d.name),
        silent.filter((d) => mentioning.has(d.file)).map((d) => d.name),
        silent.map((d) => d.name),
      ],
      (name) => facts.plain(name),
    );
    if (question) return question;
  }
  return undefined;
}

/** Which of these functions is never used? Its name is written nowhere but where it is defined. */
function unused(facts: Facts, random: Random): Question | undefined {
  const used = facts.askable.filter((d) => facts.referencesOutside(d) > 0);
  const unusedOnes = facts.askable.filter((d) => facts.files.every((file) => !file.references.has(d.name)) && facts.mentions(d.name) === 1);
  for (const definition of random.shuffle(unusedOnes)) {
    if (!facts.plain(definition.name)) continue;
    const question = choice(
      random,
      `Which of these functions is never referenced anywhere in the code shown, other than where it is defined?`,
      definition.name,
      [used.filter((d) => d.file === definition.file).map((d) => d.name), used.map((d) => d.name)],
      (name) => facts.plain(name),
    );
    if (question) return question;
  }
  return undefined;
}

/** How many parameters does X declare? Four numbers in a row, the true one among them. */
function parameters(facts: Facts, random: Random): Question | undefined {
  // A TypeScript `this` parameter is written but is not a parameter.
  const candidates = facts.askable.filter((d) => !/\(\s*this\s*[:,)]/.test(d.head));
  const definition = random.shuffle(candidates).find((d) => facts.plain(d.name));
  if (!definition) return undefined;
  const low = random.int(Math.max(0, definition.params - 3), definition.params);
  return {
    query: `How many parameters does the function \`${definition.name}\` declare? (A rest parameter or a destructured one counts as one.)`,
    options: [0, 1, 2, 3].map((k) => String(low + k)),
    answer: CHOICE_LETTERS[definition.params - low]!,
  };
}

/** Which of these files does not import M? Three that do, and one that never mentions M's name. */
function notImported(facts: Facts, random: Random): Question | undefined {
  const importers = new Map<string, SourceFile[]>();
  for (const file of facts.files) {
    for (const module of facts.modulesOf(file)) {
      if (!importers.has(module)) importers.set(module, []);
      importers.get(module)!.push(file);
    }
  }
  const candidates = [...importers].filter(([, files]) => files.length >= 3);
  for (const [module, files] of random.shuffle(candidates)) {
    const inTree = module.startsWith('./');
    const shown = inTree ? module.slice(2) : module;
    const stem = posix.basename(shown).replace(/\.[cm]?[jt]s$/, '');
    const named = word(escapeRegExp(stem));
    const others = facts.files.filter((file) => !files.includes(file) && file.path !== shown && !named.test(file.text));
    const near = others.filter((file) => facts.modulesOf(file).size > 0 && files.some((f) => dir(f.path) === dir(file.path)));
    const importing = others.filter((file) => facts.modulesOf(file).size > 0);
    const answer = random.shuffle(near)[0] ?? random.shuffle(importing)[0] ?? random.shuffle(others)[0];
    if (!answer) continue;
    const what = inTree ? `the file \`${shown}\` (by any relative path)` : `the package \`${shown}\``;
    const question = choice(random, `Which of these files does not import or require ${what}?`, answer.path, [files.map((f) => f.path)]);
    if (question) return question;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
