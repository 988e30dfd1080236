/**
 * One conformance suite for every sandbox: what a REPL does, whatever its language. Each case
 * gives its code per language (`{ js, py }`) and one expectation, or one per language where the
 * languages legitimately differ (how a value is printed, what an error is called). Behaviour only
 * one language has (isolate rebuilds, top-level await, import hooks...) is tested beside that
 * sandbox: test/sandboxes/js/ and test/sandboxes/python/.
 *
 * A sandbox is shared by the cases of a describe block (CPython takes a second or two to boot),
 * so the cases of a block run in order, and each one names what it defines.
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PythonSandbox } from '../../src/sandboxes/host/python-sandbox.ts';
import { REPL_NAMES, type CellResult, type Sandbox } from '../../src/sandboxes/sandbox.ts';
import { MAX_ANSWER_CHARS, MAX_ERROR_CHARS, MAX_PROMPT_CHARS } from '../../src/sandboxes/limits.ts';
import { isCancelled, LANGUAGES, maxOverlap, runOk, sharedSandbox, sleep } from './support.ts';

after(() => PythonSandbox.coolDown());

/** Secrets of this (host) process: no cell may ever show them. */
const ENV_SECRET = `sk-rlm-env-${process.pid}-${Math.random().toString(36).slice(2)}`;
process.env.RLM_TEST_SECRET = ENV_SECRET;
const FILE_SECRET = `sk-rlm-file-${process.pid}-${Math.random().toString(36).slice(2)}`;
const secretDir = mkdtempSync(join(tmpdir(), 'rlm-conformance-'));
const secretFile = join(secretDir, 'secret.txt');
writeFileSync(secretFile, FILE_SECRET, { mode: 0o600 });
after(() => {
  rmSync(secretDir, { recursive: true, force: true });
  delete process.env.RLM_TEST_SECRET;
});

interface PerLanguage<T> {
  js: T;
  py: T;
}

function assertNoSecret(result: CellResult, what: string): void {
  for (const text of [result.output, result.error ?? '', result.final ?? '']) {
    assert.ok(!text.includes(ENV_SECRET), `${what}: the environment secret leaked`);
    assert.ok(!text.includes(FILE_SECRET), `${what}: the file secret leaked`);
  }
}

for (const language of LANGUAGES) {
  const pick = <T>(value: PerLanguage<T>): T => (language === 'javascript' ? value.js : value.py);

  /** Runs each cell and checks its output (a string: exactly; a RegExp: matched). */
  async function expectOutputs(sandbox: Sandbox, cells: Array<[code: string, output: string | RegExp]>): Promise<void> {
    for (const [code, expected] of cells) {
      const output = await runOk(sandbox, code);
      if (typeof expected === 'string') assert.equal(output, expected, code);
      else assert.match(output, expected, code);
    }
  }

  /** Runs each cell and checks the error it reports (a string: exactly; a RegExp: matched). */
  async function expectErrors(sandbox: Sandbox, cells: Array<[code: string, error: string | RegExp]>): Promise<CellResult[]> {
    const results = [];
    for (const [code, expected] of cells) {
      const result = await sandbox.run(code);
      if (typeof expected === 'string') assert.equal(result.error, expected, code);
      else assert.match(result.error ?? '(no error)', expected, code);
      assert.equal(result.restarted, false, code);
      results.push(result);
    }
    return results;
  }

  describe(`${language} REPL: cells and state`, () => {
    const history: unknown[] = [{ role: 'user', content: 'the question' }];
    const budgetData = { iterations: 2, tokens: { used: 500, limit: 1000 }, models: ['a', 'b'] };
    const shared = sharedSandbox(language, {
      maxOutputChars: 1000,
      bridge: {
        budget: budgetData,
        history,
        // SLOW prompts take 100-250 ms, the later ones less, so that answers come back out of order.
        delayMs: (prompt) => (prompt.includes('SLOW') ? 250 - 30 * Number(/p(\d)/.exec(prompt)?.[1] ?? 0) : 5),
        tools: {
          lookup: (id) => {
            if (id === 'missing') throw new Error('no such id missing');
            return { id, found: true, tags: ['x'] };
          },
        },
      },
    });

    it('loads a text context as one string', async () => {
      const output = await runOk(
        shared.sandbox,
        pick({ js: 'print(typeof context, context.length)', py: 'print(type(context).__name__, len(context))' }),
      );
      assert.equal(output, pick({ js: 'string 16\n', py: 'str 16\n' }));
    });

    it('keeps variables, functions, classes and unpacked names across cells', async () => {
      await expectOutputs(
        shared.sandbox,
        pick({
          js: [
            ['const total = 40;\nlet label = "sum";\nvar items = [1, 2];', ''],
            ['function add(a, b) { return a + b }\nclass Tally { constructor() { this.n = total } bump() { return ++this.n } }', ''],
            ['const { first, rest: [second, ...others] } = { first: "a", rest: ["b", "c", "d"] };', ''],
            ['add(total, new Tally().bump() - total + 1) + " " + label + " " + items.length', '42 sum 2\n'],
            ['[first, second, others]', "[ 'a', 'b', [ 'c', 'd' ] ]\n"],
            ['label = "changed"; label', 'changed\n'],
            ['label', 'changed\n'],
          ],
          py: [
            ['total = 40\nlabel = "sum"\nitems = [1, 2]', ''],
            [
              'def add(a, b):\n    return a + b\n\nclass Tally:\n    def __init__(self):\n        self.n = total\n    def bump(self):\n        self.n += 1\n        return self.n',
              '',
            ],
            ['first, (second, *others) = "a", ["b", "c", "d"]', ''],
            ['print(add(total, Tally().bump() - total + 1), label, len(items))', '42 sum 2\n'],
            ['[first, second, others]', "['a', 'b', ['c', 'd']]\n"],
            ['label = "changed"; print(label)', 'changed\n'],
            ['label', "'changed'\n"],
          ],
        }),
      );
    });

    it('lets a cell replace `context`, and gives the REPL names back to the next cell', async () => {
      assert.equal(
        await runOk(
          shared.sandbox,
          pick({ js: 'context = context.toUpperCase(); print(context)', py: 'context = context.upper(); print(context)' }),
        ),
        'THE CONTEXT TEXT\n',
      );
      assert.equal(
        await runOk(
          shared.sandbox,
          pick({ js: 'context = context.toLowerCase(); print(context)', py: 'context = context.lower(); print(context)' }),
        ),
        'the context text\n',
      );
      await runOk(
        shared.sandbox,
        pick({
          js: 'print = () => {}; llm_query = null; globalThis.FINAL = 1; delete globalThis.SHOW_VARS;',
          py: 'print = None\nllm_query = None\nFINAL = 1\ndel SHOW_VARS',
        }),
      );
      const output = await runOk(
        shared.sandbox,
        pick({
          js: 'print("print still works", typeof llm_query, typeof FINAL, typeof SHOW_VARS)',
          py: 'print("print still works", *(type(f).__name__ for f in (llm_query, FINAL, SHOW_VARS)))',
        }),
      );
      assert.equal(output, 'print still works function function function\n');
    });

    it('keeps the context as loaded in context_0 when a cell replaces `context`', async () => {
      assert.equal(
        await runOk(
          shared.sandbox,
          pick({ js: 'context = "replaced"; print(context, "/", context_0)', py: 'context = "replaced"\nprint(context, "/", context_0)' }),
        ),
        'replaced / the context text\n',
      );
      const shown = (await runOk(shared.sandbox, 'SHOW_VARS()')).split('\n');
      assert.ok(
        shown.some((line) => line.startsWith('  context_0: ') && line.endsWith(' (the context as loaded)')),
        shown.join('\n'),
      );
      await runOk(shared.sandbox, 'context = context_0');
      assert.ok(!(await runOk(shared.sandbox, 'SHOW_VARS()')).includes('context_0'), 'not listed while it is the context');
    });

    it('shows the value of the last expression', async () => {
      await expectOutputs(
        shared.sandbox,
        pick({
          // Shown only when the cell printed nothing; a Promise as the last value is awaited.
          js: [
            ['const shown = { a: 1, b: [1, 2] };\nshown', '{ a: 1, b: [ 1, 2 ] }\n'],
            ['({ literal: true })', '{ literal: true }\n'],
            ['"a string is shown as is"', 'a string is shown as is\n'],
            ['print("printed"); 123', 'printed\n'],
            ['undefined', ''],
            ['const nothing = 1', ''],
            ['llm_query("last value")', 'answer:last value\n'],
            // A call is ended with its cell, so the nested Promise here is not one of llm_query's.
            ['[Promise.resolve("inside")]', '[ Promise { <not awaited> } ]\n'],
          ],
          // As in a notebook: repr() of the last expression, even after the cell printed.
          py: [
            ['shown = {"a": 1, "b": [1, 2]}\nshown', "{'a': 1, 'b': [1, 2]}\n"],
            ['("literal", True)', "('literal', True)\n"],
            ['"a string is shown as its repr"', "'a string is shown as its repr'\n"],
            ['print("printed"); 123', 'printed\n123\n'],
            ['None', ''],
            ['nothing = 1', ''],
            ['llm_query("last value")', "'answer:last value'\n"],
            ['[llm_query("inside")]', "['answer:inside']\n"],
          ],
        }),
      );
    });

    it('cuts output at maxOutputChars and says how many characters were cut', async () => {
      const result = await shared.sandbox.run(pick({ js: 'print("x".repeat(1150))', py: 'print("x" * 1150)' }));
      assert.equal(result.output, 'x'.repeat(1000) + '\n[... 151 more characters cut; print less, or slice what you need]');
      const many = await shared.sandbox.run(
        pick({ js: 'for (let i = 0; i < 5000; i++) print("line " + i)', py: 'for i in range(5000):\n    print("line " + str(i))' }),
      );
      assert.ok(many.output.startsWith('line 0\nline 1\n'));
      const total = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join('').length;
      assert.ok(
        many.output.endsWith(`[... ${(total - 1000).toLocaleString('en-US')} more characters cut; print less, or slice what you need]`),
        many.output,
      );
      const short = await shared.sandbox.run(pick({ js: 'print("fits")', py: 'print("fits")' }));
      assert.equal(short.output, 'fits\n');
    });

    it('flooding the output or the host with calls stays bounded', async () => {
      const flood = await shared.sandbox.run(
        pick({
          js: 'for (let i = 0; i < 200000; i++) print("spam spam spam")',
          py: 'for i in range(200000):\n    print("spam spam spam")',
        }),
      );
      assert.equal(flood.error, undefined);
      assert.ok(flood.output.length < 1200);
      assert.match(flood.output, /more characters cut/);
      const huge = await shared.sandbox.run(
        pick({ js: 'const big = "y".repeat(5_000_000); print(big); big.length', py: 'big = "y" * 5_000_000\nprint(big)\nlen(big)' }),
      );
      assert.equal(huge.error, undefined);
      assert.ok(huge.output.length < 1200);
      const before = shared.recorded.calls.length;
      const many = await shared.sandbox.run(
        pick({
          js: 'await Promise.all(Array.from({ length: 200 }, (_, i) => llm_query("n" + i))); "ok"',
          py: 'flood_answers = llm_query_batched(["n" + str(i) for i in range(200)])\nprint("ok")',
        }),
      );
      assert.equal(many.output, 'ok\n');
      assert.equal(shared.recorded.calls.length - before, 200);
    });

    it('reports an error with its name, message and line, after what the cell printed, and keeps earlier state', async () => {
      await runOk(shared.sandbox, pick({ js: 'const errorSurvivor = "alive";', py: 'error_survivor = "alive"' }));
      const result = await shared.sandbox.run(
        pick({
          js: 'print("partial output");\nconst x = 1;\nthrow new TypeError("bad input")',
          py: 'print("partial output")\nx = 1\nraise TypeError("bad input")',
        }),
      );
      assert.equal(result.output, 'partial output\n');
      assert.equal(result.error, 'TypeError: bad input (line 3)');
      assert.equal(result.restarted, false);
      await expectErrors(
        shared.sandbox,
        pick({
          js: [
            ['class ParseError extends Error { name = "ParseError" }\nthrow new ParseError("at byte 7")', 'ParseError: at byte 7 (line 2)'],
            ['throw "a string"', 'Uncaught a string'],
            ['throw { code: 7 }', 'Uncaught { code: 7 }'],
            ['null.x', "TypeError: Cannot read properties of null (reading 'x') (line 1)"],
            ['function down() { down() } down()', 'RangeError: Maximum call stack size exceeded (line 1)'],
          ],
          py: [
            ['class ParseError(Exception):\n    pass\nraise ParseError("at byte 7")', 'ParseError: at byte 7 (line 3)'],
            ['None.x', "AttributeError: 'NoneType' object has no attribute 'x' (line 1)"],
            ['def down():\n    down()\ndown()', 'RecursionError: maximum recursion depth exceeded (line 2)'],
            ['1 / 0', 'ZeroDivisionError: division by zero (line 1)'],
            [
              'class Odd(Exception):\n    def __str__(self):\n        raise ValueError("no")\nraise Odd()',
              'Odd: (describing it raised another error) (line 4)',
            ],
            ['import sys\nsys.exit(3)', 'SystemExit: 3 (line 2)'],
          ],
        }),
      );
      assert.equal(await runOk(shared.sandbox, pick({ js: 'print(errorSurvivor)', py: 'print(error_survivor)' })), 'alive\n');
    });

    it('what leaves the REPL is bounded: a huge error is cut, a huge answer or prompt refused in the cell', async () => {
      const error = await shared.sandbox.run(
        pick({ js: 'throw new Error("E".repeat(3_000_000))', py: 'raise ValueError("E" * 3_000_000)' }),
      );
      assert.ok((error.error ?? '').length < MAX_ERROR_CHARS + 300, `an error of ${error.error?.length} characters`);
      assert.match(error.error ?? '', /^\w*Error: EEEE.*more characters of this error cut\]/s);
      const answer = await shared.sandbox.run(
        pick({ js: `FINAL("a".repeat(${MAX_ANSWER_CHARS + 1}))`, py: `FINAL("a" * ${MAX_ANSWER_CHARS + 1})` }),
      );
      assert.ok(answer.final === undefined, 'no answer');
      assert.match(answer.error ?? '', /FINAL: the answer is/);
      const from = shared.recorded.calls.length;
      const prompt = await shared.sandbox.run(
        pick({ js: `await llm_query("p".repeat(${MAX_PROMPT_CHARS + 1}))`, py: `llm_query("p" * ${MAX_PROMPT_CHARS + 1})` }),
      );
      assert.match(prompt.error ?? '', /llm_query: the prompt is/);
      assert.equal(shared.recorded.calls.length, from, 'the prompt never reached the host');
      assert.equal(prompt.restarted, false);
    });

    it('reports syntax errors without running anything or losing variables', async () => {
      await runOk(shared.sandbox, pick({ js: 'const syntaxSurvivor = 1;', py: 'syntax_survivor = 1' }));
      const results = await expectErrors(
        shared.sandbox,
        pick({
          js: [
            ['print("not run");\nconst = 1', 'SyntaxError: Unexpected token (line 2, column 7)'],
            // acorn accepts a #! line at the very start; inside the cell's wrapper V8 does not.
            ['#!/usr/bin/env node\n1', /^SyntaxError: .* \(line 1\)$/],
          ],
          py: [
            ['print("not run")\nx = = 1', 'SyntaxError: invalid syntax (line 2)'],
            ['print("not run")\n  indented', 'SyntaxError: unexpected indent (line 2)'],
          ],
        }),
      );
      for (const result of results) assert.equal(result.output, '');
      assert.equal(await runOk(shared.sandbox, pick({ js: 'print(syntaxSurvivor)', py: 'print(syntax_survivor)' })), '1\n');
    });

    it('FINAL answers with a string, a number or data', async () => {
      const finals = pick({
        js: [
          'FINAL("the answer")',
          'FINAL(42)',
          'FINAL({ a: 1, b: [2] })',
          'FINAL(await llm_query("q"))',
          'const cyc = { n: 1 }; cyc.me = cyc; FINAL(cyc)',
        ],
        py: [
          'FINAL("the answer")',
          'FINAL(42)',
          'FINAL({"a": 1, "b": [2]})',
          'FINAL(llm_query("q"))',
          'cyc = {"n": 1}\ncyc["me"] = cyc\nFINAL(cyc)',
        ],
      });
      const answers = [];
      for (const code of finals) {
        const result = await shared.sandbox.run(code);
        assert.equal(result.error, undefined, code);
        answers.push(result.final);
      }
      assert.deepEqual(answers, [
        'the answer',
        '42',
        // Data: JSON in JavaScript; str(value) in Python, as the official REPL answers.
        pick({ js: '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}', py: "{'a': 1, 'b': [2]}" }),
        'answer:q',
        // Not JSON: shown as the language shows it.
        pick({ js: '{ n: 1, me: [Circular] }', py: "{'n': 1, 'me': {...}}" }),
      ]);
      const plain = await shared.sandbox.run('1 + 1');
      assert.equal(plain.final, undefined, 'a later cell starts without an answer');
    });

    it('FINAL without a value (or undefined, None) is an error the model sees, not the answer "undefined"', async () => {
      const result = await shared.sandbox.run('FINAL()');
      assert.equal(result.final, undefined);
      assert.match(result.error ?? '', /^TypeError: FINAL/);
      for (const code of pick({
        js: ['FINAL(undefined)', 'let unset; FINAL_VAR("unset")'],
        py: ['FINAL(None)', 'unset = None\nFINAL_VAR("unset")'],
      })) {
        const unset = await shared.sandbox.run(code);
        assert.equal(unset.final, undefined, code);
        assert.match(unset.error ?? '', /^TypeError: FINAL/, code);
      }
    });

    it('FINAL_VAR takes a variable by name, or the variable itself', async () => {
      await runOk(
        shared.sandbox,
        pick({ js: 'const answer = "forty-two"; const table = { rows: 2 };', py: 'answer = "forty-two"\ntable = {"rows": 2}' }),
      );
      assert.equal((await shared.sandbox.run('FINAL_VAR("answer")')).final, 'forty-two');
      assert.equal((await shared.sandbox.run('FINAL_VAR(answer)')).final, 'forty-two');
      const table = pick({ js: '{\n  "rows": 2\n}', py: "{'rows': 2}" });
      assert.equal((await shared.sandbox.run('FINAL_VAR("table")')).final, table);
      assert.equal((await shared.sandbox.run('FINAL_VAR(table)')).final, table);
    });

    it('FINAL_VAR of an unknown name is an error naming the user variables', async () => {
      await runOk(shared.sandbox, pick({ js: 'const summary = "s"; let notes = [];', py: 'summary = "s"\nnotes = []' }));
      const result = await shared.sandbox.run('FINAL_VAR("sumary")');
      assert.equal(result.final, undefined);
      assert.match(
        result.error ?? '',
        pick({
          js: /^ReferenceError: FINAL_VAR\(sumary\): no variable of that name\. Your variables: (.+, )?summary, notes\./,
          py: /^NameError: FINAL_VAR\('sumary'\): no variable of that name\. Your variables: (.+, )?summary, notes\./,
        }),
      );
      for (const name of ['print', 'llm_query']) {
        const builtin = await shared.sandbox.run(`FINAL_VAR("${name}")`);
        assert.equal(builtin.final, undefined, name);
        assert.match(builtin.error ?? '', /no variable of that name/, name);
      }
    });

    it('SHOW_VARS lists user variables with their type and size, and not the REPL names', async () => {
      await runOk(
        shared.sandbox,
        pick({
          js: 'const text = "hello"; const numbers = [1, 2, 3]; const mapping = new Map([[1, 2]]); const tags = new Set(["a", "b"]);\nconst count = 42; const record = { a: 1 }; function helper() {}\nclass Thing {}\nlet empty = null',
          py: 'text = "hello"\nnumbers = [1, 2, 3]\nmapping = {1: 2}\ntags = {"a", "b"}\ncount = 42\nratio = 0.5\ndef helper():\n    pass\nclass Thing:\n    pass\nempty = None',
        }),
      );
      const output = await runOk(shared.sandbox, 'SHOW_VARS()');
      const lines = output.trimEnd().split('\n');
      assert.equal(lines[0], 'Variables:');
      const expected = pick({
        js: [
          '  context: string, 16 chars',
          '  text: string, 5 chars',
          '  numbers: Array, 3 items',
          '  mapping: Map, 1 items',
          '  tags: Set, 2 items',
          '  count: number (42)',
          '  record: Object, 1 keys, 7 chars as JSON',
          '  helper: function',
          '  Thing: class',
          '  empty: null',
        ],
        py: [
          '  context: str, 16 chars',
          '  text: str, 5 chars',
          '  numbers: list, 3 items',
          '  mapping: dict, 1 items',
          '  tags: set, 2 items',
          '  count: int (42)',
          '  ratio: float (0.5)',
          '  helper: function',
          '  Thing: class',
          '  empty: NoneType (None)',
        ],
      });
      for (const line of expected) assert.ok(lines.includes(line), `SHOW_VARS has "${line}":\n${output}`);
      const notListed = [
        ...REPL_NAMES.filter((n) => n !== 'context'),
        ...pick({ js: ['console', 'Object', 'JSON'], py: ['sys', 'json', '__builtins__', '__name__'] }),
      ];
      for (const name of notListed) assert.ok(!lines.some((l) => l.startsWith(`  ${name}:`)), `${name} is not listed`);
    });

    it('variable() reads a variable as answer text, for a FINAL_VAR written outside code', async () => {
      await runOk(shared.sandbox, pick({ js: 'const yes = "yes"; const data = [1, 2];', py: 'yes = "yes"\ndata = [1, 2]' }));
      assert.deepEqual(await shared.sandbox.variable('yes'), { found: true, value: 'yes' });
      assert.deepEqual(await shared.sandbox.variable('data'), { found: true, value: pick({ js: '[\n  1,\n  2\n]', py: '[1, 2]' }) });
      assert.deepEqual(await shared.sandbox.variable('context'), { found: true, value: 'the context text' });
      const missing = await shared.sandbox.variable('nope');
      assert.equal(missing.found, false);
      const names = missing.found ? [] : missing.names;
      for (const name of ['yes', 'data', 'summary']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
      // The JavaScript REPL names `context` among the variables; the Python REPL leaves it out.
      assert.equal(names.includes('context'), pick({ js: true, py: false }));
      for (const name of ['print', 'llm_query', pick({ js: 'toString', py: '__name__' })]) {
        assert.equal((await shared.sandbox.variable(name)).found, false, name);
        assert.ok(!names.includes(name), `${name} is not a variable`);
      }
    });

    it("the user's tools and the names the language provides are not variables", async () => {
      await runOk(shared.sandbox, pick({ js: 'const own = 1', py: 'own = 1' }));
      const shown = await runOk(shared.sandbox, 'SHOW_VARS()');
      const missing = await shared.sandbox.variable('nope');
      const names = missing.found ? [] : missing.names;
      for (const name of ['lookup', ...pick({ js: ['constructor', 'toString'], py: ['__name__', '__builtins__'] })]) {
        assert.ok(!shown.split('\n').some((l) => l.startsWith(`  ${name}:`)), `SHOW_VARS lists ${name}`);
        const result = await shared.sandbox.run(`FINAL_VAR("${name}")`);
        assert.equal(result.final, undefined, `FINAL_VAR("${name}") answered ${result.final}`);
        assert.match(result.error ?? '', /no variable of that name/, name);
        assert.doesNotMatch(result.error ?? '', new RegExp(`Your variables: .*\\b${name}\\b`), name);
        assert.equal((await shared.sandbox.variable(name)).found, false, `variable(${name})`);
        assert.ok(!names.includes(name), `${name} among the variables`);
      }
    });

    it('llm_query answers with text, passes the model on, and fails with the bridge error', async () => {
      const from = shared.recorded.calls.length;
      const output = await runOk(
        shared.sandbox,
        pick({
          js: 'print(await llm_query("a", { model: "big" })); await llm_query("b", "named"); await llm_query("c")',
          py: 'print(llm_query("a", model="big")); llm_query("b", "named"); reply_c = llm_query("c")',
        }),
      );
      assert.equal(output, 'answer:a\n');
      assert.deepEqual(
        shared.recorded.calls.slice(from).map((c) => c.options),
        [{ model: 'big' }, { model: 'named' }, {}],
      );
      const caught = await runOk(
        shared.sandbox,
        pick({
          js: 'try { await llm_query("FAIL now") } catch (e) { print(e instanceof Error, e.message) }',
          py: 'try:\n    llm_query("FAIL now")\nexcept Exception as e:\n    print(isinstance(e, RuntimeError), e)',
        }),
      );
      assert.equal(caught, pick({ js: 'true the model refused "FAIL now"\n', py: 'True the model refused "FAIL now"\n' }));
      await expectErrors(
        shared.sandbox,
        pick({
          js: [
            ['await llm_query("FAIL again")', 'Error: the model refused "FAIL again"'],
            ['await llm_query("x", { model: 5 })', /^TypeError: llm_query: options.model must be a string/],
            ['await llm_query()', /^TypeError: llm_query: the prompt must be a string, got undefined/],
            ['await llm_query(llm_query("inner"))', /the prompt is a Promise; await it first/],
          ],
          py: [
            ['llm_query("FAIL again")', 'RuntimeError: the model refused "FAIL again" (line 1)'],
            ['llm_query("x", model=5)', 'TypeError: llm_query: model must be a string (line 1)'],
            ['llm_query(None)', 'TypeError: llm_query: the prompt must be a string, got None (line 1)'],
          ],
        }),
      );
    });

    it('llm_query turns data into JSON prompts and other values into text', async () => {
      const from = shared.recorded.calls.length;
      await runOk(
        shared.sandbox,
        pick({
          js: 'await llm_query({ question: "q", n: 1 }); await llm_query(42); await llm_query(["a", "b"])',
          py: 'llm_query({"question": "q", "n": 1}); llm_query(42); llm_query(["a", "b"])',
        }),
      );
      assert.deepEqual(
        shared.recorded.calls.slice(from).map((c) => c.prompt),
        pick({ js: ['{"question":"q","n":1}', '42', '["a","b"]'], py: ['{"question": "q", "n": 1}', '42', '["a", "b"]'] }),
      );
    });

    it('llm_query_batched runs its prompts at once, keeps their order and puts an error string in a failed slot', async () => {
      const from = shared.recorded.calls.length;
      const prompts = '["SLOW p1", "SLOW p2 FAIL", "SLOW p3", "SLOW p4", "SLOW p5"]';
      const output = await runOk(
        shared.sandbox,
        pick({
          js: `const out = await llm_query_batched(${prompts}, { model: "small" });\nprint(out.length); print(out[0] + "|" + out[2] + "|" + out[3] + "|" + out[4]); print(out[1])`,
          py: `out = llm_query_batched(${prompts}, model="small")\nprint(len(out)); print(out[0] + "|" + out[2] + "|" + out[3] + "|" + out[4]); print(out[1])`,
        }),
      );
      // Later prompts answered sooner: the order comes from the prompts, not from arrival.
      assert.equal(output, '5\nanswer:SLOW p1|answer:SLOW p3|answer:SLOW p4|answer:SLOW p5\nError: the model refused "SLOW p2 FAIL"\n');
      const calls = shared.recorded.calls.slice(from);
      assert.equal(calls.length, 5);
      assert.deepEqual(
        calls.map((c) => c.options),
        Array(5).fill({ model: 'small' }),
      );
      // Each takes 100-220 ms: one after another they could not all be in flight at once.
      assert.equal(maxOverlap(calls), 5, 'all five calls were in flight together');
    });

    it('rlm_query and rlm_query_batched pass a context along to the bridge', async () => {
      const from = shared.recorded.calls.length;
      await expectOutputs(
        shared.sandbox,
        pick({
          js: [
            ['print(await rlm_query("summarise", { part: [1, 2] }))', 'sub:summarise\n'],
            [
              'print((await rlm_query_batched(["a", "b FAIL", "c"], ["ctx a", "ctx b"])).join("|"))',
              'sub:a|Error: the model refused "b FAIL"|sub:c\n',
            ],
          ],
          py: [
            ['print(rlm_query("summarise", {"part": [1, 2]}))', 'sub:summarise\n'],
            [
              'print("|".join(rlm_query_batched(["a", "b FAIL", "c"], ["ctx a", "ctx b"])))',
              'sub:a|Error: the model refused "b FAIL"|sub:c\n',
            ],
          ],
        }),
      );
      assert.deepEqual(
        shared.recorded.calls.slice(from).map((c) => [c.kind, c.prompt, c.context]),
        [
          ['rlm_query', 'summarise', { part: [1, 2] }],
          ['rlm_query', 'a', 'ctx a'],
          ['rlm_query', 'b FAIL', 'ctx b'],
          ['rlm_query', 'c', undefined],
        ],
      );
    });

    it('rlm_query passes a model on, with or without a context', async () => {
      const from = shared.recorded.calls.length;
      await runOk(
        shared.sandbox,
        pick({
          js: 'await rlm_query("one", { model: "m1" })\nawait rlm_query("two", ["ctx"], { model: "m2" })\nawait rlm_query_batched(["three"], ["c3"], { model: "m3" })',
          py: 'rlm_query("one", model="m1")\nrlm_query("two", ["ctx"], model="m2")\nrlm_query_batched(["three"], ["c3"], model="m3")',
        }),
      );
      assert.deepEqual(
        shared.recorded.calls.slice(from).map((c) => [c.prompt, c.context, c.options]),
        [
          ['one', undefined, { model: 'm1' }],
          ['two', ['ctx'], { model: 'm2' }],
          ['three', 'c3', { model: 'm3' }],
        ],
      );
    });

    it('a tool runs on the host with JSON arguments and gives back JSON; a failing tool is an error', async () => {
      const output = await runOk(
        shared.sandbox,
        pick({
          js: 'const hit = await lookup(7, { deep: ["x"] });\nprint(JSON.stringify(hit), hit.tags[0])',
          py: 'import json\nhit = lookup(7, {"deep": ["x"]})\nprint(json.dumps(hit, separators=(",", ":")), hit["tags"][0])',
        }),
      );
      assert.equal(output, '{"id":7,"found":true,"tags":["x"]} x\n');
      assert.deepEqual(shared.recorded.toolCalls.at(-1), { name: 'lookup', args: [7, { deep: ['x'] }] });
      await expectErrors(
        shared.sandbox,
        pick({
          js: [['await lookup("missing")', 'Error: no such id missing']],
          py: [['lookup("missing")', 'RuntimeError: no such id missing (line 1)']],
        }),
      );
      const caught = await runOk(
        shared.sandbox,
        pick({
          js: 'try { await lookup("missing") } catch (e) { print("caught: " + e.message) }',
          py: 'try:\n    lookup("missing")\nexcept Exception as e:\n    print("caught: " + str(e))',
        }),
      );
      assert.equal(caught, 'caught: no such id missing\n');
    });

    it('budget() returns the bridge data, as a fresh copy each time', async () => {
      await expectOutputs(
        shared.sandbox,
        pick({
          js: [
            ['print(JSON.stringify(budget()))', JSON.stringify(budgetData) + '\n'],
            ['const spent = budget(); spent.tokens.used = 0; print(budget().tokens.used)', '500\n'],
          ],
          py: [
            ['import json\nprint(json.dumps(budget(), separators=(",", ":")))', JSON.stringify(budgetData) + '\n'],
            ['spent = budget(); spent["tokens"]["used"] = 0; print(budget()["tokens"]["used"])', '500\n'],
          ],
        }),
      );
      assert.equal(budgetData.tokens.used, 500);
    });

    it('history is the conversation so far, new messages included, and the cell cannot change the host copy', async () => {
      const show = pick({ js: 'print(history.length, history.at(-1).content)', py: 'print(len(history), history[-1]["content"])' });
      assert.equal(await runOk(shared.sandbox, show), '1 the question\n');
      history.push({ role: 'assistant', content: 'a reply' });
      assert.equal(await runOk(shared.sandbox, show), '2 a reply\n');
      await runOk(
        shared.sandbox,
        pick({ js: 'history.push({ role: "forged", content: "x" })', py: 'history.append({"role": "forged", "content": "x"})' }),
      );
      assert.equal(await runOk(shared.sandbox, show), '2 a reply\n');
      assert.equal(history.length, 2);
    });

    it('reports durationMs and restarted: false for an ordinary cell', async () => {
      const result = await shared.sandbox.run('1');
      assert.equal(result.restarted, false);
      // A sane measure of the cell: not negative, and not in some other unit.
      assert.ok(result.durationMs >= 0 && result.durationMs < 10_000);
      assert.equal(result.error, undefined);
      assert.equal(result.final, undefined);
    });
  });

  describe(`${language} REPL: faults are survived`, () => {
    const shared = sharedSandbox(language, { context: ['one', 'two'] });

    it('FINAL_VAR before any variable is defined says there are none', async () => {
      const result = await shared.sandbox.run('FINAL_VAR("anything")');
      assert.equal(result.final, undefined);
      assert.match(result.error ?? '', /You have defined no variables yet\./);
      const builtin = await shared.sandbox.run('FINAL_VAR("print")');
      assert.equal(builtin.final, undefined);
      assert.match(builtin.error ?? '', /no variable of that name/);
    });

    it('loads a context of texts as a list', async () => {
      const output = await runOk(
        shared.sandbox,
        pick({ js: 'print(Array.isArray(context), context.join("+"))', py: 'print(isinstance(context, list), "+".join(context))' }),
      );
      assert.equal(output, pick({ js: 'true one+two\n', py: 'True one+two\n' }));
    });

    it('a busy loop is interrupted at the time limit, and the next cell still sees earlier variables', async () => {
      await runOk(shared.sandbox, pick({ js: 'const survivor = "alive";', py: 'survivor = "alive"' }));
      const result = await shared.sandbox.run(
        pick({ js: 'print("before the loop"); while (true) {}', py: 'print("before the loop")\nwhile True: pass' }),
        { timeoutMs: 300 },
      );
      assert.match(result.error ?? '', /^TimeoutError: the cell was still computing after 300 ms and was stopped/);
      assert.equal(result.restarted, false);
      assert.equal(result.output, 'before the loop\n');
      // At the limit, not later: a loaded machine adds seconds at most, never the minute of a hang.
      assert.ok(result.durationMs < 5000, `stopped promptly (${Math.round(result.durationMs)} ms)`);
      assert.equal(await runOk(shared.sandbox, 'print(survivor)'), 'alive\n');
    });

    it('a cell waiting on a sub-call that never answers is stopped at the limit, its call aborted, variables kept', async () => {
      const from = shared.recorded.calls.length;
      const result = await shared.sandbox.run(
        pick({ js: 'print("waiting"); await llm_query("HANG forever")', py: 'print("waiting")\nllm_query("HANG forever")' }),
        { timeoutMs: 300 },
      );
      assert.match(result.error ?? '', /^TimeoutError: the cell was still waiting .*after 300 ms/);
      assert.equal(result.restarted, false);
      assert.equal(result.output, 'waiting\n');
      // At the limit, not later: a loaded machine adds seconds at most, never the minute of a hang.
      assert.ok(result.durationMs < 5000, `stopped promptly (${Math.round(result.durationMs)} ms)`);
      const [call] = shared.recorded.calls.slice(from);
      assert.equal(call?.signal.aborted, true);
      assert.match(String(call?.signal.reason), /timed out/);
      assert.equal(await runOk(shared.sandbox, 'print(survivor)'), 'alive\n');
      // Whatever the abandoned cell would print later is dropped, not shown with the next cell.
      assert.equal(await runOk(shared.sandbox, 'print("next")'), 'next\n');
    });

    it('a cell that times out waiting on calls reports one error, and the next cell none', async () => {
      const code = pick({
        js: 'const hangA = llm_query("HANG a"); const hangB = llm_query("HANG b"); await hangA; await hangB',
        py: 'llm_query_batched(["HANG a", "HANG b"])',
      });
      const result = await shared.sandbox.run(code, { timeoutMs: 300 });
      assert.match(result.error ?? '', /^TimeoutError: [^\n]*$/);
      await sleep(50);
      const next = await shared.sandbox.run('1 + 1');
      assert.equal(next.error, undefined);
      assert.equal(next.output, '2\n');
    });

    it('aborts every bridge call in flight when a cell times out', async () => {
      const from = shared.recorded.calls.length;
      const cells = pick({
        js: ['await Promise.all([llm_query("HANG one"), rlm_query("HANG two")])'],
        py: ['llm_query_batched(["HANG one", "HANG two"])', 'rlm_query_batched(["HANG three"])'],
      });
      for (const code of cells) assert.match((await shared.sandbox.run(code, { timeoutMs: 200 })).error ?? '', /^TimeoutError/, code);
      const calls = shared.recorded.calls.slice(from);
      assert.deepEqual(
        calls.map((c) => c.kind),
        pick({ js: ['llm_query', 'rlm_query'], py: ['llm_query', 'llm_query', 'rlm_query'] }),
      );
      for (const call of calls) {
        assert.equal(call.signal.aborted, true, `${call.kind} was aborted`);
        assert.match(String(call.signal.reason), /timed out/);
      }
      await sleep(10);
      assert.ok(
        calls.every((c) => c.outcome?.ok === false),
        'and the bridge saw the abort',
      );
    });

    it('cancels a waiting cell promptly when its signal aborts; its call is aborted, variables kept', async () => {
      const from = shared.recorded.calls.length;
      const controller = new AbortController();
      const running = shared.sandbox.run(pick({ js: 'await llm_query("HANG forever")', py: 'llm_query("HANG forever")' }), {
        signal: controller.signal,
        timeoutMs: 30_000,
      });
      await sleep(150);
      const aborted = performance.now();
      controller.abort();
      await assert.rejects(running, (error: unknown) => {
        assert.ok(isCancelled(error), `a cancellation: ${String(error)}`);
        return true;
      });
      // Long before the cell's 30 s limit: the abort ended it (a loaded machine may take seconds).
      assert.ok(performance.now() - aborted < 10_000, 'well before the time limit');
      const [call] = shared.recorded.calls.slice(from);
      assert.equal(call?.signal.aborted, true, 'the bridge call was aborted too');
      await sleep(10);
      assert.equal(call?.outcome?.ok, false);
      assert.equal(await runOk(shared.sandbox, 'print(survivor)'), 'alive\n');
    });

    it('cancels a spinning cell promptly when its signal aborts', async () => {
      const cells = pick({
        js: ['while (true) {}', 'await llm_query("x");\nwhile (true) {}'],
        py: ['while True: pass', 'llm_query("x")\nwhile True: pass'],
      });
      for (const code of cells) {
        const controller = new AbortController();
        const running = shared.sandbox.run(code, { signal: controller.signal, timeoutMs: 30_000 });
        await sleep(150);
        const aborted = performance.now();
        controller.abort();
        await assert.rejects(running, isCancelled);
        // Long before the cell's 30 s limit: the abort ended it (a loaded machine may take seconds).
        assert.ok(performance.now() - aborted < 10_000, `well before the time limit: ${code}`);
        assert.equal(await runOk(shared.sandbox, 'print("usable")'), 'usable\n');
      }
    });

    it('does not run a cell whose signal has already aborted', async () => {
      await assert.rejects(
        shared.sandbox.run(pick({ js: 'globalThis.ran = true', py: 'ran = True' }), { signal: AbortSignal.abort() }),
        isCancelled,
      );
      assert.equal(
        await runOk(shared.sandbox, pick({ js: 'print(typeof ran)', py: 'print("ran" in globals())' })),
        pick({ js: 'undefined\n', py: 'False\n' }),
      );
    });

    it('leaves no listener on a signal shared by many cells', async () => {
      const controller = new AbortController();
      for (let i = 0; i < 15; i++) await shared.sandbox.run(`${i}`, { signal: controller.signal });
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    });

    it('after dispose(), a cell is cancelled and variable() finds nothing', async () => {
      shared.sandbox.dispose();
      await assert.rejects(shared.sandbox.run('1'), isCancelled);
      assert.deepEqual(await shared.sandbox.variable('survivor'), { found: false, names: [] });
    });
  });

  describe(`${language} REPL: memory`, () => {
    const data = { title: 'T', rows: [{ id: 1 }, { id: 2 }], nested: { deep: [null, true] } };
    const shared = sharedSandbox(language, { memoryLimitMb: 64, context: data });
    const contextJson = pick({
      js: 'print(JSON.stringify(context))',
      py: 'import json\nprint(json.dumps(context, separators=(",", ":")))',
    });

    it('a memory blow-up is reported with the limit, and the REPL is usable after', async () => {
      await runOk(shared.sandbox, pick({ js: 'const survivor = 1;', py: 'survivor = 1' }));
      const result = await shared.sandbox.run(
        pick({
          js: 'const hoard = [];\nfor (let i = 0; i < 1e5; i++) hoard.push(new Array(1e5).fill(i));',
          py: 'def grow():\n    hoard = []\n    while True:\n        hoard.append(bytearray(10 ** 6))\ngrow()',
        }),
      );
      assert.equal(
        result.error,
        pick({
          js: 'RangeError: the cell ran out of memory (limit 64 MiB)',
          py: 'MemoryError: the cell ran out of memory (line 4) (limit 64 MiB)',
        }),
      );
      // V8 gives up the whole isolate, which is rebuilt; CPython raises MemoryError and carries on.
      assert.equal(result.restarted, pick({ js: true, py: false }));
      assert.equal(
        await runOk(shared.sandbox, pick({ js: 'print(typeof survivor)', py: 'print("survivor" in globals())' })),
        pick({ js: 'undefined\n', py: 'True\n' }),
      );
      assert.equal(await runOk(shared.sandbox, contextJson), JSON.stringify(data) + '\n');
    });

    it('loads JSON data as data, a copy the host does not share', async () => {
      assert.equal(await runOk(shared.sandbox, contextJson), JSON.stringify(data) + '\n');
      await runOk(
        shared.sandbox,
        pick({
          js: 'context.title = "changed"; context.rows.push({ id: 3 })',
          py: 'context["title"] = "changed"\ncontext["rows"].append({"id": 3})',
        }),
      );
      assert.equal(data.title, 'T');
      assert.equal(data.rows.length, 2);
    });
  });

  describe(`${language} REPL: escapes common to every language`, () => {
    const shared = sharedSandbox(language, {});
    let server: Server;
    let connections = 0;
    before(async () => {
      server = createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(() => server.close());
    const port = () => (server.address() as { port: number }).port;

    it('no host runtime is reachable by name', async () => {
      const names = [
        'process',
        'require',
        'module',
        'exports',
        'Buffer',
        'global',
        'fetch',
        'XMLHttpRequest',
        'setTimeout',
        'setInterval',
        'setImmediate',
        'queueMicrotask',
        'SharedArrayBuffer',
        'Atomics',
        'WebAssembly',
        '$0',
        '$1',
        '$2',
        'ivm',
        '_ivm',
      ];
      const output = await runOk(
        shared.sandbox,
        pick({
          js: `${JSON.stringify(names)}.filter((n) => typeof globalThis[n] !== 'undefined' || n in globalThis).join(",") || "none"`,
          py: 'import sys, builtins\nprint(",".join(n for n in ("js", "pyodide", "pyodide_js", "_pyodide", "_pyodide_core", "micropip") if n in sys.modules or hasattr(builtins, n) or n in globals()) or "none")',
        }),
      );
      assert.equal(output, 'none\n');
    });

    it('no environment variables or keys of the host', async () => {
      const cells = pick({
        js: [
          ['print(typeof process === "undefined" ? "no environment" : JSON.stringify(process.env))', 'no environment\n'],
          ['process.env.RLM_TEST_SECRET', /^ReferenceError: process is not defined/],
          ['process.env.HOME', /^ReferenceError: process is not defined/],
        ],
        py: [
          ['import os\nprint(",".join(sorted(os.environ)))', /^[A-Z,]*\n$/],
          ['import os\nprint(os.environ.get("RLM_TEST_SECRET"), os.getenv("RLM_TEST_SECRET"))', 'None None\n'],
        ],
      } as PerLanguage<Array<[string, string | RegExp]>>);
      for (const [code, expected] of cells) {
        const result = await shared.sandbox.run(code);
        assertNoSecret(result, code);
        const seen = result.error === undefined ? result.output : result.error;
        if (typeof expected === 'string') assert.equal(seen, expected, code);
        else assert.match(seen, expected, code);
      }
      if (language === 'python') {
        const names = (await runOk(shared.sandbox, 'import os\nprint(",".join(sorted(os.environ)))')).trim().split(',');
        for (const name of names)
          assert.ok(['HOME', 'LANG', 'LOGNAME', 'PATH', 'PWD', 'USER'].includes(name), `unexpected variable ${name}`);
        const home = await runOk(shared.sandbox, 'import os\nprint(os.environ.get("HOME"))');
        if (process.env.HOME && process.env.HOME !== '/') assert.notEqual(home.trim(), process.env.HOME, "the host's HOME");
      }
    });

    it('no reading of host files', async () => {
      const cells = pick({
        js: [`require("fs").readFileSync(${JSON.stringify(secretFile)}, "utf8")`, 'require("fs").readFileSync("/etc/passwd", "utf8")'],
        py: [
          `print(open(${JSON.stringify(secretFile)}).read())`,
          'print(open("/etc/passwd").read())',
          `import pathlib\nprint(pathlib.Path(${JSON.stringify(secretFile)}).read_text())`,
        ],
      });
      for (const code of cells) {
        const result = await shared.sandbox.run(code);
        assertNoSecret(result, code);
        assert.doesNotMatch(result.output, /root:/, code);
        assert.match(result.error ?? '', pick({ js: /^ReferenceError: require is not defined/, py: /^FileNotFoundError: / }), code);
      }
    });

    it('no network', async () => {
      const url = `http://127.0.0.1:${port()}/`;
      const cells = pick({
        js: [
          [`await fetch(${JSON.stringify(url)})`, /^ReferenceError: fetch is not defined/],
          [`new XMLHttpRequest().open("GET", ${JSON.stringify(url)})`, /^ReferenceError: XMLHttpRequest is not defined/],
        ],
        py: [
          [
            `import urllib.request\nurllib.request.urlopen(${JSON.stringify(url)})`,
            /^ImportError: module 'urllib.request' is not available/,
          ],
          [`import socket\nsocket.create_connection(("127.0.0.1", ${port()}))`, /^ImportError: module 'socket' is not available/],
          [
            `import http.client\nhttp.client.HTTPConnection("127.0.0.1", ${port()}).request("GET", "/")`,
            /^ImportError: module 'http.client' is not available/,
          ],
        ],
      } as PerLanguage<Array<[string, RegExp]>>);
      for (const [code, error] of cells) {
        const result = await shared.sandbox.run(code);
        assert.match(result.error ?? '(no error)', error, code);
        assertNoSecret(result, code);
      }
      await sleep(50);
      assert.equal(connections, 0, 'nothing connected to the host');
    });

    it('no process spawning', async () => {
      const marker = join(secretDir, 'spawned');
      const command = `touch ${marker}`;
      const cells = pick({
        js: [
          [`require("child_process").execSync(${JSON.stringify(command)})`, /^ReferenceError: require is not defined/],
          [`process.binding("spawn_sync")`, /^ReferenceError: process is not defined/],
        ],
        py: [
          [
            `import subprocess\nsubprocess.run(${JSON.stringify(command)}, shell=True)`,
            /^ImportError: module 'subprocess' is not available/,
          ],
          [`import os\nos.system(${JSON.stringify(command)})`, /^PermissionError: os.system is not available/],
          [`import os\nos.popen(${JSON.stringify(command)})`, /^ImportError: module 'subprocess' is not available/],
          ['import os\nos.fork()', /^PermissionError: os.fork is not available/],
          [`import os\nos.execv("/bin/sh", ["sh", "-c", ${JSON.stringify(command)}])`, /^PermissionError: os.execv is not available/],
        ],
      } as PerLanguage<Array<[string, RegExp]>>);
      for (const [code, error] of cells) {
        const result = await shared.sandbox.run(code);
        assert.match(result.error ?? '(no error)', error, code);
        assert.equal(result.restarted, false, code);
      }
      assert.equal(existsSync(marker), false, 'no command ran on the host');
    });
  });
}
