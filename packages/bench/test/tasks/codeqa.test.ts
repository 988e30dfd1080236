/**
 * The CodeQA generator over real files: a small package written here, whose answers are known
 * by hand, and a real package from node_modules, whose answers are recomputed from the context
 * text alone by the rules of code-rules.ts (regular expressions, no syntax trees).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { analyzeSource } from '../../src/tasks/code-analysis.ts';
import { readCodeTree } from '../../src/tasks/code-tree.ts';
import { codeBaseTokens, generateCodeQa } from '../../src/tasks/codeqa.ts';
import { scoreAnswer } from '../../src/tasks/scoring.ts';
import type { TaskInstance } from '../../src/tasks/task.ts';
import { bodyAt, definitionsIn, importsModule, PACKAGE_ROOT, parameterCountAt, sectionsOf, wordCount } from './code-rules.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '../..');

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rlm-codeqa-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A small package: a CLI entry, list helpers with one dead function, TypeScript maths, an ES module report. */
const HAND_TREE: Record<string, string> = {
  'index.js': `'use strict'
const { parseList, formatList } = require('./lib/list.js')
const { countItems } = require('./lib/extra')
const { printReport } = require('./lib/report.mjs')

function runCli (argv) {
  const items = parseList(argv[2] || '', ',')
  printReport(items.map(Number), process.stdout)
  return formatList(items) + countItems(argv[2] || '')
}

module.exports = { runCli }
`,
  'lib/list.js': `function parseList (text, separator) {
  return text.split(separator).map((part) => trimItem(part)).filter(Boolean)
}

function trimItem (item) {
  return item.trim()
}

const formatList = (items) => items.join(', ')

function legacyJoin (items, glue, prefix) {
  // kept for old callers
  return prefix + items.join(glue)
}

module.exports = { parseList, formatList }
`,
  'lib/extra.js': `const { parseList } = require('./list')

exports.countItems = function (text) {
  return parseList(text, ',').length
}
`,
  'lib/math.ts': `export interface Summary {
  count: number;
  mean(): number;
}

export function total(values: number[]): number {
  return values.reduce(addPair, 0);
}

export const addPair = (a: number, b: number): number => a + b;

export function average(values: number[], ...rest: number[]): number {
  return total(values.concat(rest)) / Math.max(1, values.length + rest.length);
}

export function describeSummary(this: Summary, label: string): string {
  return \`\${label}: \${this.count}\`;
}

export function scale(value: number): number;
export function scale(value: number[]): number[];
export function scale(value: number | number[]): number | number[] {
  return Array.isArray(value) ? value.map((v) => v * 2) : value * 2;
}
`,
  'lib/report.mjs': `import { total, average, describeSummary } from './math.ts'
import { formatList } from './list.js'

export function buildReport (values) {
  const summary = { count: values.length }
  return [describeSummary.call(summary, 'count'), \`total \${total(values)}\`, \`mean \${average(values)}\`]
}

export function printReport (values, out) {
  out.write(formatList(buildReport(values)) + '\\n')
}
`,
  // None of these is read: another package, a dot-folder, a bundle, a syntax error, declarations,
  // TypeScript that cannot simply be erased, and not code at all.
  'node_modules/dep/index.js': 'function parseList () {}\nmodule.exports = parseList\n',
  '.cache/old.js': 'function legacyJoin () {}\n',
  'vendor.min.js': `function vendorThing(){return 1}${';'.repeat(300)}\n`,
  'broken.js': 'function broken( {\n',
  'types.d.ts': 'export declare function total(values: number[]): number;\n',
  'enum.ts': 'export enum Colour { Red }\nexport function colourName(c: Colour) { return String(c) }\n',
  'README.md': 'function readme () {}\n',
};

const HAND_FILES = ['index.js', 'lib/extra.js', 'lib/list.js', 'lib/math.ts', 'lib/report.mjs'];
/** By hand: every function, its file and its declared parameters (describeSummary's `this` is not one). */
const DEFINED: Record<string, [string, number]> = {
  runCli: ['index.js', 1],
  countItems: ['lib/extra.js', 1],
  parseList: ['lib/list.js', 2],
  trimItem: ['lib/list.js', 1],
  formatList: ['lib/list.js', 1],
  legacyJoin: ['lib/list.js', 3],
  total: ['lib/math.ts', 1],
  addPair: ['lib/math.ts', 2],
  average: ['lib/math.ts', 2],
  describeSummary: ['lib/math.ts', 1],
  scale: ['lib/math.ts', 1],
  buildReport: ['lib/report.mjs', 1],
  printReport: ['lib/report.mjs', 2],
};
/** By hand: who calls whom among them (trimItem through an arrow inside parseList; addPair is passed, not called). */
const CALLS: Record<string, string[]> = {
  runCli: ['parseList', 'printReport', 'formatList', 'countItems'],
  countItems: ['parseList'],
  parseList: ['trimItem'],
  average: ['total'],
  buildReport: ['total', 'average'],
  printReport: ['formatList', 'buildReport'],
};
/** By hand: the modules each file imports. */
const IMPORTS: Record<string, string[]> = {
  'index.js': ['lib/list.js', 'lib/extra.js', 'lib/report.mjs'],
  'lib/extra.js': ['lib/list.js'],
  'lib/list.js': [],
  'lib/math.ts': [],
  'lib/report.mjs': ['lib/math.ts', 'lib/list.js'],
};

type Kind = 'where-defined' | 'calls' | 'unused' | 'parameters' | 'not-imported';

/** The question of a query (the line after the intro) and its options. */
function read(task: TaskInstance): { kind: Kind; name: string; options: string[] } {
  const question = task.query.split('\n\n')[1]!.split('\n')[0]!;
  const options = [...task.query.matchAll(/^\(([A-D])\) (.+)$/gm)].map((m) => m[2]!);
  assert.deepEqual(options, task.options);
  let m: RegExpExecArray | null;
  if ((m = /^In which file is the function `(\w+)` defined\?$/.exec(question))) return { kind: 'where-defined', name: m[1]!, options };
  if ((m = /^Which of these functions calls `(\w+)` directly\?$/.exec(question))) return { kind: 'calls', name: m[1]!, options };
  if (/^Which of these functions is never referenced anywhere/.test(question)) return { kind: 'unused', name: '', options };
  if ((m = /^How many parameters does the function `(\w+)` declare\?/.exec(question))) return { kind: 'parameters', name: m[1]!, options };
  if ((m = /^Which of these files does not import or require (?:the file|the package) `([^`]+)`/.exec(question)))
    return { kind: 'not-imported', name: m[1]!, options };
  throw new Error(`unknown question: ${question}`);
}

function truth(task: TaskInstance): string {
  return task.options![task.answer.charCodeAt(0) - 65]!;
}

/** The one place in the context the name looks defined: its file and offset. */
function onlyDefinition(sections: Map<string, string>, name: string): { path: string; text: string; at: number } {
  const found = [...sections].flatMap(([path, text]) => definitionsIn(text, name).map((at) => ({ path, text, at })));
  assert.equal(found.length, 1, `${name} looks defined once: ${found.map((f) => f.path).join(', ')}`);
  return found[0]!;
}

/** Every answer recomputed from the context text alone. */
function bruteCheck(task: TaskInstance): Kind {
  const { kind, name, options } = read(task);
  const sections = sectionsOf(task.context);
  const right = truth(task);
  const wrong = options.filter((o) => o !== right);
  const where = `${task.id}: ${kind} ${name}`;
  switch (kind) {
    case 'where-defined':
      assert.ok(definitionsIn(sections.get(right)!, name).length > 0, where);
      for (const path of wrong) assert.equal(definitionsIn(sections.get(path)!, name).length, 0, `${where}: ${path}`);
      assert.equal(onlyDefinition(sections, name).path, right, where);
      break;
    case 'calls': {
      const call = new RegExp(`(?<![\\w$])${name}\\s*\\(`);
      const body = (fn: string) => {
        const d = onlyDefinition(sections, fn);
        return bodyAt(d.text, d.at);
      };
      assert.match(body(right), call, where);
      for (const fn of wrong) assert.doesNotMatch(body(fn), call, `${where}: ${fn}`);
      break;
    }
    case 'unused': {
      const code = [...sections.values()].join('\n');
      onlyDefinition(sections, right);
      assert.equal(wordCount(code, right), 1, `${where}: ${right}`);
      for (const fn of wrong) assert.ok(wordCount(code, fn) > 1, `${where}: ${fn}`);
      break;
    }
    case 'parameters': {
      const d = onlyDefinition(sections, name);
      assert.equal(String(parameterCountAt(d.text, d.at)), right, `${where}: ${d.text.slice(d.at, d.at + 80)}`);
      break;
    }
    case 'not-imported':
      assert.equal(importsModule(right, sections.get(right)!, name), false, `${where}: ${right}`);
      for (const path of wrong) assert.ok(importsModule(path, sections.get(path)!, name), `${where}: ${path}`);
      break;
  }
  return kind;
}

describe('codeqa: questions about a code base on disk', () => {
  const handRoot = writeTree(HAND_TREE);
  const tree = () => generateCodeQa(100_000, 0, 1, { codeRoot: handRoot });

  it('reads the .js, .mjs, .cjs and .ts files that parse; skips other packages, dot-folders, bundles, declarations and what does not parse', () => {
    const task = tree();
    assert.deepEqual([...sectionsOf(task.context).keys()], HAND_FILES);
    assert.match(task.context, /^==> index\.js <==\n'use strict'\n/);
    // TypeScript is shown as written, types and all.
    assert.ok(task.context.includes('export const addPair = (a: number, b: number): number => a + b;'));
    assert.equal(task.context, HAND_FILES.map((path) => `==> ${path} <==\n${HAND_TREE[path]}`).join('\n'));
  });

  it('the small package: every kind of question, each answer as worked out by hand', () => {
    const kinds = new Set<Kind>();
    for (let index = 0; index < 40; index++) {
      const task = generateCodeQa(100_000, index, 3, { codeRoot: handRoot });
      const { kind, name, options } = read(task);
      kinds.add(kind);
      const right = truth(task);
      assert.equal(task.score, 'choice');
      assert.equal(new Set(options).size, 4);
      switch (kind) {
        case 'where-defined':
          assert.equal(right, DEFINED[name]![0]);
          assert.ok(options.every((o) => HAND_FILES.includes(o)));
          break;
        case 'calls':
          assert.ok(CALLS[right]?.includes(name), `${right} calls ${name}`);
          for (const o of options.filter((o) => o !== right)) assert.ok(!CALLS[o]?.includes(name), `${o} does not call ${name}`);
          break;
        case 'unused':
          assert.equal(right, 'legacyJoin');
          assert.ok(!options.includes('scale'), 'scale is overloaded: never asked about');
          break;
        case 'parameters':
          assert.notEqual(name, 'describeSummary', 'a `this` parameter is not asked about');
          assert.notEqual(name, 'scale');
          assert.equal(right, String(DEFINED[name]![1]));
          break;
        case 'not-imported':
          assert.equal(name, 'lib/list.js');
          assert.equal(right, 'lib/math.ts');
          for (const o of options.filter((o) => o !== right)) assert.ok(IMPORTS[o]!.includes(name));
          break;
      }
      bruteCheck(task);
    }
    assert.deepEqual([...kinds].sort(), ['calls', 'not-imported', 'parameters', 'unused', 'where-defined']);
  });

  it('the analysis: definitions with lines and parameters, calls by enclosing function, references, imports', () => {
    const file = analyzeSource('a.ts', HAND_TREE['lib/math.ts']!)!;
    assert.deepEqual(
      file.definitions.map((d) => [d.name, d.line, d.params]),
      [
        ['total', 6, 1],
        ['addPair', 10, 2],
        ['average', 12, 2],
        ['describeSummary', 16, 1],
        ['scale', 22, 1],
      ],
    );
    assert.ok(file.typeOnlyNames.has('scale') && file.typeOnlyNames.has('Summary'));
    const list = analyzeSource('lib/list.js', HAND_TREE['lib/list.js']!)!;
    assert.deepEqual(
      list.calls.map((c) => [c.caller?.name, c.callee]),
      [
        ['parseList', 'filter'],
        ['parseList', 'map'],
        ['parseList', 'split'],
        ['parseList', 'trimItem'],
        ['trimItem', 'trim'],
        ['formatList', 'join'],
        ['legacyJoin', 'join'],
      ],
    );
    assert.equal(list.references.get('legacyJoin'), undefined);
    // `{ parseList, formatList }` at the end: one reference each, not two.
    assert.equal(list.references.get('parseList')!.length, 1);
    assert.deepEqual(analyzeSource('index.js', HAND_TREE['index.js']!)!.imports, ['./lib/list.js', './lib/extra', './lib/report.mjs']);
    assert.equal(analyzeSource('enum.ts', HAND_TREE['enum.ts']!), undefined);
    assert.equal(analyzeSource('broken.js', HAND_TREE['broken.js']!), undefined);
    const methods = analyzeSource(
      'm.js',
      'class A {\n  static make (x) { return new A() }\n  #hidden () {}\n  get size () { return 1 }\n  render = () => this.make(1)\n}\nconst o = { build () {}, ["computed"] () {}, wrap: function inner (a, b) {} }\nmodule.exports = function exported (...all) {}\n',
    )!;
    assert.deepEqual(
      methods.definitions.map((d) => [d.name, d.line, d.params]),
      [
        ['make', 2, 1],
        ['render', 5, 0],
        ['build', 7, 0],
        ['wrap', 7, 2],
        ['exported', 8, 1],
      ],
    );
  });

  it('TypeScript stripping leaks no ExperimentalWarning to the terminal', () => {
    const script = `import { analyzeSource } from ${JSON.stringify(join(REPO, 'src/tasks/code-analysis.ts'))};\nconsole.log(analyzeSource('a.ts', 'export const f = (a: number): number => a;').definitions.length);`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(run.stdout.trim(), '1');
    assert.equal(run.stderr, '');
  });

  it('too few functions: a one-line error that says what to point at', () => {
    const small = writeTree({ 'a.js': 'function alpha () {}\nfunction beta () { alpha() }\n', 'notes.txt': 'function gamma () {}\n' });
    assert.throws(
      () => generateCodeQa(8_000, 0, 1, { codeRoot: small }),
      (error: Error) => {
        assert.match(
          error.message,
          /^\S+ has 2 named functions to ask about, too few for code questions; point at a package tree with JavaScript or TypeScript sources$/,
        );
        return true;
      },
    );
    assert.throws(
      () => generateCodeQa(8_000, 0, 1, { codeRoot: join(small, 'missing') }),
      /^Error: \S+missing is not a folder; point at a package tree with JavaScript or TypeScript sources$/,
    );
  });

  it('a size that fits no file gives the smallest file alone, larger than the size', () => {
    const task = generateCodeQa(10, 0, 1, { codeRoot: handRoot });
    assert.deepEqual([...sectionsOf(task.context).keys()], ['lib/extra.js']);
    assert.equal(read(task).kind, 'parameters', 'the one question one function allows');
    bruteCheck(task);
    // Nothing at all to ask about: the error says to try another size.
    const lonely = writeTree({
      'big.js': Array.from({ length: 9 }, (_, i) => `function helper${i} () {}\n`).join(''),
      'tiny.js': 'module.exports = 1\n',
    });
    assert.throws(
      () => generateCodeQa(10, 0, 1, { codeRoot: lonely }),
      /^Error: no code question can be asked about the 1 files .* that fit in 10 tokens .*; try another size or package tree$/,
    );
  });

  it('codeBaseTokens is the size of the context holding the whole tree', () => {
    const whole = generateCodeQa(10_000_000, 0, 1, { codeRoot: PACKAGE_ROOT });
    assert.equal(sectionsOf(whole.context).size, readCodeTree(PACKAGE_ROOT).files.length);
    assert.equal(codeBaseTokens(PACKAGE_ROOT), Math.ceil(whole.context.length / 4));
  });

  it(`a real package (${PACKAGE_ROOT.split('node_modules/')[1]}): every answer recomputed from the context text alone`, () => {
    assert.ok(existsSync(PACKAGE_ROOT), `${PACKAGE_ROOT} is installed by npm ci`);
    const kinds = new Map<Kind, number>();
    for (let index = 0; index < 60; index++) {
      const task = generateCodeQa([4_000, 8_000, 16_000][index % 3]!, index, 7, { codeRoot: PACKAGE_ROOT });
      const kind = bruteCheck(task);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    // semver exports and uses nearly every function: an unused one is found only in small slices.
    for (const kind of ['where-defined', 'calls', 'parameters', 'not-imported'] as const)
      assert.ok((kinds.get(kind) ?? 0) >= 5, `${kind}: ${kinds.get(kind)}`);
  });

  it('the same seed gives the same instance; sizes are kept to, and differ in the files they hold', () => {
    assert.deepEqual(generateCodeQa(8_000, 4, 11, { codeRoot: PACKAGE_ROOT }), generateCodeQa(8_000, 4, 11, { codeRoot: PACKAGE_ROOT }));
    assert.notEqual(
      generateCodeQa(8_000, 4, 11, { codeRoot: PACKAGE_ROOT }).context,
      generateCodeQa(8_000, 4, 12, { codeRoot: PACKAGE_ROOT }).context,
    );
    const subsets = new Set<string>();
    for (const tokens of [2_000, 4_000, 8_000, 16_000]) {
      const task = generateCodeQa(tokens, 0, 1, { codeRoot: PACKAGE_ROOT });
      assert.ok(task.context.length <= tokens * 4, `${tokens}: ${task.context.length}`);
      assert.ok(task.context.length > tokens * 4 * 0.9, `${tokens}: ${task.context.length}, the size is nearly filled`);
      subsets.add([...sectionsOf(task.context).keys()].join());
    }
    assert.equal(subsets.size, 4);
    // Larger than the package: the whole package, under the size asked for.
    const whole = generateCodeQa(1_000_000, 0, 1, { codeRoot: PACKAGE_ROOT });
    assert.match(whole.id, /^codeqa-1m-0-s1-[0-9a-f]{8}$/);
    assert.equal(sectionsOf(whole.context).size, readCodeTree(PACKAGE_ROOT).files.length);
  });

  it('names the code base in its id: another tree, another id', () => {
    const [semver, hand] = [generateCodeQa(8_000, 0, 1, { codeRoot: PACKAGE_ROOT }), generateCodeQa(8_000, 0, 1, { codeRoot: handRoot })];
    assert.equal(semver.id.slice(0, -9), hand.id.slice(0, -9));
    assert.notEqual(semver.id, hand.id);
  });

  it('scores a letter, "(B)", "The answer is C", or the option\'s text alone', () => {
    const task = generateCodeQa(100_000, 0, 1, { codeRoot: handRoot });
    const letter = task.answer;
    const other = 'ABCD'.replace(letter, '')[0]!;
    for (const reply of [letter, `(${letter})`, `${letter}.`, `The answer is ${letter}`, `(${letter}) ${truth(task)}`, truth(task)])
      assert.equal(scoreAnswer(task, reply), 1, reply);
    for (const reply of [other, `The answer is ${other}`, task.options![other.charCodeAt(0) - 65]!, 'I do not know'])
      assert.equal(scoreAnswer(task, reply), 0, reply);
  });
});
