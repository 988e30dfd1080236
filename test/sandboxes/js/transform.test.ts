/**
 * transformCell: the rewrite that makes a cell's top-level declarations outlive the cell. The
 * scripts it makes are run for real in a fresh `node:vm` context (a realm of their own), cell
 * after cell, as the sandbox runs them in its isolate; the line numbers are also checked through
 * the sandbox itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { CellSyntaxError, transformCell } from '../../../src/sandboxes/repl-process/transform.ts';
import { REPL_NAMES } from '../../../src/sandboxes/sandbox.ts';
import { withSandbox } from './helpers.ts';

const RESERVED: ReadonlySet<string> = new Set<string>([...REPL_NAMES, 'console']);

/** A REPL over a vm context: each cell is transformed, compiled and started, as the sandbox does. */
function repl() {
  const context = vm.createContext({});
  return {
    context,
    /** Runs one cell; resolves with its value (the last expression), as JSON text. */
    async run(code: string): Promise<unknown> {
      const { script } = transformCell(code, RESERVED);
      const start = vm.runInContext(script, context, { filename: 'cell.js' }) as () => Promise<unknown>;
      assert.equal(typeof start, 'function', 'the script evaluates to a function that starts the cell');
      const value = await start();
      // Values come from another realm: compare them as JSON.
      return value === undefined ? undefined : JSON.parse(JSON.stringify(value) ?? 'null');
    },
    /** Evaluates an expression in the REPL's global scope, as JSON. */
    get(expression: string): unknown {
      const json = vm.runInContext(`JSON.stringify(${expression})`, context) as string | undefined;
      return json === undefined ? undefined : JSON.parse(json);
    },
  };
}

describe('transformCell: declarations persist as globals', () => {
  it('keeps const, let and var bindings for the next cell', async () => {
    const r = repl();
    await r.run('const a = 1;\nlet b = a + 1;\nvar c = b + 1;');
    assert.deepEqual(await r.run('[a, b, c]'), [1, 2, 3]);
    assert.deepEqual(r.get('[typeof globalThis.a, typeof globalThis.b, typeof globalThis.c]'), ['number', 'number', 'number']);
  });

  it('reports the names a cell declares', () => {
    const { declared } = transformCell('const a = 1, b = 2; let c; var d = 3; function f() {} class K {}', RESERVED);
    assert.deepEqual(declared.sort(), ['K', 'a', 'b', 'c', 'd', 'f']);
  });

  it('lets a later cell declare the same name again, as a REPL does', async () => {
    const r = repl();
    await r.run('const x = 1');
    await r.run('const x = 2');
    await r.run('let x2 = "a"; let y2 = x2');
    await r.run('let x2 = "b"');
    assert.deepEqual(await r.run('[x, x2, y2]'), [2, 'b', 'a']);
  });

  it('declares several names in one statement', async () => {
    const r = repl();
    await r.run('const p = 1, q = p + 1, s = q * 10;');
    assert.deepEqual(await r.run('[p, q, s]'), [1, 2, 20]);
  });

  it('`let x;` starts x as undefined; `var x;` leaves an existing x alone', async () => {
    const r = repl();
    await r.run('var kept = 5; let reset = 5;');
    await r.run('var kept;');
    await r.run('let reset;');
    assert.deepEqual(await r.run('[kept, typeof reset]'), [5, 'undefined']);
  });

  it('`var a, b = 2` assigns b only, leaving a as it was', async () => {
    const r = repl();
    await r.run('var a = "old";');
    await r.run('var a, b = 2;');
    assert.deepEqual(await r.run('[a, b]'), ['old', 2]);
  });

  it('a var without a value still declares the name', async () => {
    const r = repl();
    await r.run('var fresh;');
    assert.equal(r.get('"fresh" in globalThis'), true);
    assert.equal(await r.run('typeof fresh'), 'undefined');
  });
});

describe('transformCell: destructuring', () => {
  it('object patterns, with renaming', async () => {
    const r = repl();
    await r.run('const { a, b: renamed } = { a: 1, b: 2 };');
    assert.deepEqual(await r.run('[a, renamed, typeof b]'), [1, 2, 'undefined']);
  });

  it('array patterns, with holes', async () => {
    const r = repl();
    await r.run('const [first, , third] = [1, 2, 3];');
    assert.deepEqual(await r.run('[first, third]'), [1, 3]);
  });

  it('nested patterns', async () => {
    const r = repl();
    await r.run('const { outer: { inner: [x, { y }] } } = { outer: { inner: [10, { y: 20 }] } };');
    assert.deepEqual(await r.run('[x, y]'), [10, 20]);
    assert.equal(r.get('typeof outer'), 'undefined');
  });

  it('rest elements in objects and arrays', async () => {
    const r = repl();
    await r.run('const { a, ...others } = { a: 1, b: 2, c: 3 }; let [head, ...tail] = [1, 2, 3];');
    assert.deepEqual(await r.run('[a, others, head, tail]'), [1, { b: 2, c: 3 }, 1, [2, 3]]);
  });

  it('defaults', async () => {
    const r = repl();
    await r.run('const { d = 4, e: renamedE = 5 } = {}; const [f = 6, g = 7] = [undefined, 0];');
    assert.deepEqual(await r.run('[d, renamedE, f, g]'), [4, 5, 6, 0]);
  });

  it('lists every name a pattern binds', () => {
    const { declared } = transformCell('const { a, b: [c, ...d], e: { f = 1 }, ...g } = x; let [h, , [i]] = y;', RESERVED);
    assert.deepEqual(declared.sort(), ['a', 'c', 'd', 'f', 'g', 'h', 'i']);
  });

  it('a destructuring var without a value is still an error, as in JavaScript', () => {
    assert.throws(() => transformCell('const { a };', RESERVED), CellSyntaxError);
  });
});

describe('transformCell: functions and classes', () => {
  it('function declarations persist and are hoisted within their cell', async () => {
    const r = repl();
    assert.equal(await r.run('const early = twice(4);\nfunction twice(n) { return n * 2 }\nearly'), 8);
    assert.equal(await r.run('twice(21)'), 42);
  });

  it('async and generator function declarations persist', async () => {
    const r = repl();
    await r.run('async function later(v) { return v + 1 }\nfunction* count() { yield 1; yield 2 }');
    assert.equal(await r.run('await later(1)'), 2);
    assert.deepEqual(await r.run('[...count()]'), [1, 2]);
  });

  it('class declarations persist, with their methods, statics and name', async () => {
    const r = repl();
    await r.run('class Counter { static made = 0; n = 0; constructor() { Counter.made++ } inc() { return ++this.n } }');
    assert.deepEqual(await r.run('const c = new Counter(); c.inc(); [c.inc(), Counter.made, Counter.name]'), [2, 1, 'Counter']);
    await r.run('class Sub extends Counter { inc() { return super.inc() * 10 } }');
    assert.equal(await r.run('new Sub().inc()'), 10);
  });

  it('declarations inside blocks and functions stay local', async () => {
    const r = repl();
    await r.run('{ let inner = 1; const alsoInner = 2 }\nfor (let i = 0; i < 2; i++) {}\nfunction f() { const local = 3; return local }');
    assert.deepEqual(await r.run('[typeof inner, typeof alsoInner, typeof i, typeof local, f()]'), [
      'undefined',
      'undefined',
      'undefined',
      'undefined',
      3,
    ]);
  });
});

describe('transformCell: the cell value', () => {
  it('is the last top-level expression', async () => {
    const r = repl();
    assert.equal(await r.run('1 + 1'), 2);
    assert.equal(await r.run('const v = 3;\nv * 2'), 6);
    assert.deepEqual(await r.run('({ a: 1 })'), { a: 1 });
    assert.equal(await r.run('"a", "b"'), 'b');
  });

  it('is the awaited value of a top-level await', async () => {
    const r = repl();
    assert.equal(await r.run('await Promise.resolve(7)'), 7);
    assert.equal(await r.run('const got = await new Promise((resolve) => resolve("later"));\ngot'), 'later');
  });

  it('survives a trailing comment and a multi-line expression', async () => {
    const r = repl();
    assert.equal(await r.run('5 // the answer'), 5);
    assert.equal(await r.run('5 /* the answer */'), 5);
    assert.deepEqual(await r.run('[\n  1,\n  2,\n]\n// done'), [1, 2]);
  });

  it('is undefined when the cell ends with a declaration or a statement', async () => {
    const r = repl();
    assert.equal(await r.run('const d = 1'), undefined);
    assert.equal(await r.run('if (d) { d + 1 }'), undefined);
    assert.equal(await r.run('function g() { return 1 }'), undefined);
    assert.equal(await r.run(''), undefined);
  });

  it('does not start the cell until the function it evaluates to is called', () => {
    const context = vm.createContext({});
    const { script } = transformCell('globalThis.started = true', RESERVED);
    const start = vm.runInContext(script, context) as () => Promise<unknown>;
    assert.equal(vm.runInContext('typeof started', context), 'undefined');
    void start();
    assert.equal(vm.runInContext('started', context), true);
  });
});

describe('transformCell: line numbers', () => {
  it('keeps every line of the cell on the same line of the script', () => {
    const code = 'function helper() { return 1 }\nconst a = helper();\nlet { b } = { b: 2 };\nclass K {}\nvar c;\nlet d;\n(a + b)';
    const { script } = transformCell(code, RESERVED);
    const lines = script.split('\n');
    const expected = [
      'function helper() { return 1 }',
      '(a = helper())',
      '({ b } = { b: 2 })',
      'K = class K {}',
      ';',
      '(d = undefined)',
      'return ((a + b))',
    ];
    assert.equal(lines.length, expected.length + 1, 'one closing line is added after the cell');
    for (const [index, text] of expected.entries()) {
      const squeeze = (t: string) => t.replace(/\s+/g, '');
      assert.ok(squeeze(lines[index] ?? '').includes(squeeze(text)), `line ${index + 1} should hold "${text}": ${lines[index]}`);
    }
  });

  it('reports a throw on line 3 as line 3, through the sandbox', async () => {
    await withSandbox({}, async (sandbox) => {
      const result = await sandbox.run('const a = 1;\nfunction f() { return a }\nthrow new Error("on line three")');
      assert.equal(result.error, 'Error: on line three (line 3)');
    });
  });

  it('reports an error after an await, with declarations and destructuring above it, on its line', async () => {
    await withSandbox({}, async (sandbox) => {
      const code = [
        'const { x, y: [z] } = { x: 1, y: [2] };',
        'class Box { open() { return this.lid.open } }',
        'let answer = await llm_query("question");',
        '',
        'new Box().open()',
      ].join('\n');
      const result = await sandbox.run(code);
      assert.match(result.error ?? '', /^TypeError: .*(line 2)/);
      const second = await sandbox.run('const fine = 1;\n\n\n\nnull.property');
      assert.match(second.error ?? '', /^TypeError: .* \(line 5\)$/);
    });
  });
});

describe('transformCell: reserved names', () => {
  const refused = [
    'const print = 1',
    'let llm_query = () => "fake"',
    'var FINAL;',
    'function FINAL_VAR() {}',
    'class SHOW_VARS {}',
    'const { budget } = {}',
    'const [console] = []',
    'const { a: { rlm_query } } = { a: {} }',
    'let ok = 1, llm_query_batched = 2',
    'const [...rlm_query_batched] = []',
  ];
  for (const code of refused) {
    it(`refuses \`${code}\``, () => {
      assert.throws(
        () => transformCell(code, RESERVED),
        (error: unknown) => {
          assert.ok(error instanceof CellSyntaxError);
          assert.equal(error.name, 'SyntaxError');
          assert.match(error.message, /is a built-in of this REPL and cannot be redeclared/);
          return true;
        },
      );
    });
  }

  it('allows declaring `context` again (the model may replace its input)', async () => {
    const r = repl();
    await r.run('let context = "replaced"');
    assert.equal(await r.run('context'), 'replaced');
  });

  it('names the refused built-in, and the sandbox reports it as a SyntaxError without running the cell', async () => {
    await withSandbox({}, async (sandbox) => {
      const result = await sandbox.run('globalThis.ran = true;\nconst print = console.log');
      assert.match(result.error ?? '', /^SyntaxError: 'print' is a built-in of this REPL/);
      assert.equal((await sandbox.run('typeof ran')).output, 'undefined\n');
    });
  });
});

describe('transformCell: syntax errors', () => {
  it("gives line and column (1-based) without acorn's own position suffix", () => {
    assert.throws(
      () => transformCell('const a = 1;\nconst b = ;', RESERVED),
      (error: unknown) => {
        assert.ok(error instanceof CellSyntaxError);
        assert.equal(error.message, 'Unexpected token (line 2, column 11)');
        return true;
      },
    );
  });

  it('reports an unterminated string on its line', () => {
    assert.throws(() => transformCell('let ok = 1;\n\nlet s = "open', RESERVED), /Unterminated string constant \(line 3, column 9\)/);
  });

  it('refuses module syntax and a top-level return', () => {
    assert.throws(() => transformCell('import fs from "node:fs"', RESERVED), CellSyntaxError);
    assert.throws(() => transformCell('export const a = 1', RESERVED), CellSyntaxError);
    assert.throws(() => transformCell('return 1', RESERVED), CellSyntaxError);
  });

  it('refuses code that would close the wrapper early', () => {
    assert.throws(() => transformCell('1\n})()); print("outside"); ((async () => {', RESERVED), CellSyntaxError);
  });

  it('turns absurd nesting into a syntax error rather than crashing', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    assert.throws(() => transformCell(deep, RESERVED), CellSyntaxError);
  });

  it('the sandbox reports syntax errors with their position and keeps its variables', async () => {
    await withSandbox({}, async (sandbox) => {
      await sandbox.run('const kept = "still here"');
      const result = await sandbox.run('const x = {\n  a: 1,\n  b: 2 3\n}');
      assert.equal(result.error, 'SyntaxError: Unexpected token (line 3, column 8)');
      assert.equal(result.restarted, false);
      assert.equal((await sandbox.run('kept')).output, 'still here\n');
    });
  });
});
