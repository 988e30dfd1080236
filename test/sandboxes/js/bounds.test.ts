/**
 * What text may leave the JavaScript REPL's isolate (src/sandboxes/limits.ts): a cell's error, an
 * answer, a prompt, a child's context or a tool's arguments are bounded inside the isolate, before
 * they are copied out, and values that cannot be sent (too deep, cyclic) are clear errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_ANSWER_CHARS,
  MAX_ERROR_CHARS,
  MAX_PROMPT_CHARS,
  MAX_VALUE_DEPTH,
  MAX_VALUE_JSON_CHARS,
} from '../../../src/sandboxes/limits.ts';
import { runOk, withRepl } from './helpers.ts';

/** Room for the note a cut error carries. */
const NOTE = 200;

function assertBoundedError(error: string | undefined, pattern: RegExp): void {
  assert.ok(error !== undefined, 'the cell reported an error');
  assert.ok(error.length <= MAX_ERROR_CHARS + NOTE, `an error of ${error.length} characters crossed`);
  assert.match(error, pattern);
}

describe('IsolateRepl: a cell error leaving the isolate is bounded', () => {
  it('a huge error message is cut, with a note saying how much', async () => {
    await withRepl({ cellTimeoutMs: 20_000 }, async (repl) => {
      const result = await repl.run('throw new Error("E".repeat(50_000_000))');
      assertBoundedError(result.error, /^Error: E{100}.*\[\.\.\. 49,990,00\d more characters of this error cut\]$/s);
      assert.equal(result.restarted, false);
      assert.equal(await runOk(repl, '"still here"'), 'still here\n');
    });
  });

  it('a huge thrown string, name, message getter or stack is cut; a throwing toString is described', async () => {
    await withRepl({ cellTimeoutMs: 20_000 }, async (repl) => {
      const cases: Array<[string, RegExp]> = [
        ['throw "s".repeat(30_000_000)', /^Uncaught s{100}.*\[\.\.\. 29,990,009 more characters of this error cut\]$/s],
        [
          'const e = new Error("m"); Object.defineProperty(e, "message", { get: () => "g".repeat(30_000_000) }); throw e',
          /^Error: g{100}.*more characters of this error cut\]$/s,
        ],
        [
          'class Huge extends Error { get name() { return "N".repeat(30_000_000) } }\nthrow new Huge("x")',
          /^N{100}.*more characters of this error cut\]$/s,
        ],
        [
          'const e = new Error("short"); Object.defineProperty(e, "stack", { value: "Error: short\\n" + "    at f (cell.js:1:1)\\n".repeat(1_000_000) }); throw e',
          /^Error: short/,
        ],
        ['throw { toString() { return "t".repeat(30_000_000) } }', /^Uncaught /],
        ['throw new Proxy({}, { get() { return "p".repeat(30_000_000) } })', /^Uncaught /],
        ['throw { message: { toString() { throw new Error("no") } } }', /^Uncaught /],
      ];
      for (const [code, pattern] of cases) {
        const result = await repl.run(code);
        assertBoundedError(result.error, pattern);
        assert.equal(result.restarted, false, code);
      }
      // A stack of many frames, thrown from deep recursion.
      const deep = await repl.run(
        'Error.stackTraceLimit = Infinity; const down = (n) => n ? down(n - 1) : (() => { throw new Error("deep " + "d".repeat(20_000)) })(); down(5000)',
      );
      assertBoundedError(deep.error, /^Error: deep d+.*more characters of this error cut\]$/s);
    });
  });

  it('an unhandled rejection with a huge reason is cut too', async () => {
    await withRepl({ cellTimeoutMs: 20_000 }, async (repl) => {
      const result = await repl.run('Promise.reject(new Error("R".repeat(20_000_000))); "value"');
      assert.equal(result.output, 'value\n');
      assertBoundedError(result.error, /^Unhandled promise rejection: R{100}.*cut\]$/s);
    });
  });

  it('a print of a huge string crosses as at most maxOutputChars', async () => {
    await withRepl({ cellTimeoutMs: 20_000, maxOutputChars: 1000 }, async (repl) => {
      const result = await repl.run('const s = "x".repeat(200_000_000); print(s, s); print({ s }); s');
      assert.equal(result.error, undefined);
      assert.ok(result.output.length < 1200, `${result.output.length} characters of output`);
      assert.match(result.output, /^x{1000}\n\[\.\.\. [\d,]+ more characters cut/);
    });
  });
});

describe('IsolateRepl: bounds hold whatever the cell does to built-ins', () => {
  it('a cell that breaks String, slice, Math or inspect still sends bounded text', async () => {
    await withRepl({ cellTimeoutMs: 20_000, maxOutputChars: 1000 }, async (repl, recorded) => {
      const huge = '"h".repeat(30_000_000)';
      await runOk(
        repl,
        [
          `const hugeText = ${huge};`,
          'String.prototype.slice = function () { return hugeText };',
          'String.prototype.substring = String.prototype.slice;',
          'Math.floor = () => hugeText; Math.max = () => -1;',
          'globalThis.String = () => ({ length: 0, toString: () => hugeText, toJSON: () => hugeText });',
          'Array.prototype.join = function () { return hugeText };',
        ].join('\n'),
      );
      const printed = await repl.run('print(hugeText); print({ a: 1 }, [1, 2]); "done"');
      assert.ok(printed.output.length < 1200, `${printed.output.length} characters of output`);
      const thrown = await repl.run('throw new Error(hugeText)');
      assertBoundedError(thrown.error, /^Error: h{100}.*more characters of this error cut\]$/s);
      const odd = await repl.run('throw { toString: () => hugeText }');
      assertBoundedError(odd.error, /^Uncaught /);
      const prompt = await repl.run('try { await llm_query({ toJSON: () => hugeText }) } catch (e) { print(e.message.length < 500) }');
      assert.equal(prompt.error, undefined);
      assert.equal(recorded.calls.length, 0);
      const names = await repl.variable('missing');
      assert.ok(!names.found && names.names.every((n) => n.length < 300));
    });
  });
});

describe('IsolateRepl: answers, prompts and values sent to the host are bounded', () => {
  it('a FINAL or FINAL_VAR answer over MAX_ANSWER_CHARS is refused in the cell, and the run goes on', async () => {
    await withRepl({}, async (repl) => {
      const size = (MAX_ANSWER_CHARS + 1).toLocaleString('en-US');
      const final = await repl.run(`FINAL("a".repeat(${MAX_ANSWER_CHARS + 1}))`);
      assert.ok(final.final === undefined, 'no answer');
      assert.match(
        final.error ?? '',
        new RegExp(
          `^RangeError: FINAL: the answer is ${size} characters, more than the ${MAX_ANSWER_CHARS.toLocaleString('en-US')} allowed`,
        ),
      );
      const data = await repl.run(`FINAL(Array.from({ length: ${MAX_ANSWER_CHARS / 4} }, () => 1))`);
      assert.ok(data.final === undefined, 'no answer');
      assert.match(data.error ?? '', /^RangeError: FINAL: the answer is [\d,]+ characters/);
      const byVar = await repl.run(`const answer = "v".repeat(${MAX_ANSWER_CHARS + 1}); FINAL_VAR("answer")`);
      assert.ok(byVar.final === undefined, 'no answer');
      assert.match(byVar.error ?? '', /^RangeError: FINAL_VAR\("answer"\): the answer is/);
      assert.equal((await repl.run(`FINAL("b".repeat(${MAX_ANSWER_CHARS}))`)).final?.length, MAX_ANSWER_CHARS);
      // A FINAL_VAR written outside code reads the variable: cut, and said so.
      const read = await repl.variable('answer');
      assert.ok(read.found);
      assert.ok(read.found && read.value.length < MAX_ANSWER_CHARS + NOTE && read.value.endsWith('more characters of this answer cut]'));
    });
  });

  it('a prompt over MAX_PROMPT_CHARS is refused before it reaches the host', async () => {
    await withRepl({}, async (repl, recorded) => {
      const n = MAX_PROMPT_CHARS + 1;
      const result = await repl.run(
        `const big = "p".repeat(${n});\n` +
          'for (const f of [() => llm_query(big), () => rlm_query(big), () => llm_query_batched([big]).then((r) => { throw new Error(r[0]) }), () => rlm_query_batched([big]).then((r) => { throw new Error(r[0]) })]) {\n' +
          '  try { await f(); print("sent") } catch (e) { print(e.message) }\n' +
          '}',
      );
      assert.equal(result.error, undefined);
      const lines = result.output.trimEnd().split('\n');
      assert.equal(lines.length, 4);
      for (const line of lines)
        assert.match(
          line,
          new RegExp(
            `^(Error: )?(llm|rlm)_query: the prompt is ${n.toLocaleString('en-US')} characters, more than the ${MAX_PROMPT_CHARS.toLocaleString('en-US')} allowed`,
          ),
        );
      assert.equal(recorded.calls.length, 0);
    });
  });

  it("a child's context or a tool's arguments over MAX_VALUE_JSON_CHARS are refused before they reach the host", async () => {
    await withRepl({ bridge: { tools: { echo: (x: unknown) => x } } }, async (repl, recorded) => {
      const result = await repl.run(
        `const big = "c".repeat(${MAX_VALUE_JSON_CHARS});\n` +
          'try { await rlm_query("q", big) } catch (e) { print(e.message) }\n' +
          'try { await rlm_query("q", { big }) } catch (e) { print(e.message) }\n' +
          'try { await echo(big) } catch (e) { print(e.message) }',
      );
      assert.equal(result.error, undefined);
      assert.match(
        result.output,
        /^rlm_query: the context is [\d,]+ characters of JSON, more than the [\d,]+ allowed; send a part\nrlm_query: the context is .*\necho: its arguments are [\d,]+ characters of JSON, more than the [\d,]+ allowed; send a part\n$/,
      );
      assert.equal(recorded.calls.length, 0);
      assert.equal(recorded.toolCalls.length, 0);
    });
  });

  it('a context or tool argument too deep or cyclic for JSON is a clear error, and the REPL lives on', async () => {
    await withRepl({ cellTimeoutMs: 30_000, bridge: { tools: { echo: (x: unknown) => x } } }, async (repl, recorded) => {
      const result = await repl.run(
        'let deep = {}; for (let i = 0; i < 1_000_000; i++) deep = { a: deep };\n' +
          'const loop = { name: "loop" }; loop.self = loop;\n' +
          'for (const f of [() => rlm_query("q", deep), () => rlm_query("q", loop), () => echo(deep), () => echo(loop), () => rlm_query_batched(["q"], [deep]).then((r) => { throw new Error(r[0]) }), () => llm_query(deep), () => llm_query(loop)]) {\n' +
          '  try { await f(); print("sent") } catch (e) { print((e.name + ": " + e.message).replace(/\\n/g, " ")) }\n' +
          '}',
      );
      assert.equal(result.error, undefined);
      const lines = result.output.trimEnd().split('\n');
      assert.equal(lines.length, 7);
      assert.match(lines[0]!, /^TypeError: rlm_query: the context cannot be sent as JSON: it is nested too deeply/);
      assert.match(lines[1]!, /^TypeError: rlm_query: the context cannot be sent as JSON: .*circular/i);
      assert.match(lines[2]!, /^TypeError: echo: its arguments cannot be sent as JSON: it is nested too deeply/);
      assert.match(lines[3]!, /^TypeError: echo: its arguments cannot be sent as JSON: .*circular/i);
      assert.match(lines[4]!, /^Error: Error: rlm_query: the context cannot be sent as JSON: it is nested too deeply/);
      assert.match(lines[5]!, /^TypeError: llm_query: the prompt cannot be sent as JSON: it is nested too deeply/);
      assert.match(lines[6]!, /^TypeError: llm_query: the prompt cannot be sent as JSON: .*circular/i);
      assert.equal(recorded.calls.length, 0);
      // Deeper than the host takes (MAX_VALUE_DEPTH), though JSON could write it: refused here.
      const tooDeep = await repl.run(`let v = {}; for (let i = 0; i < ${MAX_VALUE_DEPTH}; i++) v = { a: v }; await rlm_query("q", v)`);
      assert.equal(
        tooDeep.error,
        `RangeError: rlm_query: the context is nested ${(MAX_VALUE_DEPTH + 1).toLocaleString('en-US')} deep, more than the ${MAX_VALUE_DEPTH.toLocaleString('en-US')} allowed; flatten it (line 1)`,
      );
      const tool = await repl.run('await echo(["a [[[ b", v])');
      assert.match(tool.error ?? '', /^RangeError: echo: its arguments are nested [\d,]+ deep/);
      assert.equal(recorded.calls.length + recorded.toolCalls.length, 0);
      assert.equal(
        await runOk(repl, `let ok = {}; for (let i = 1; i < ${MAX_VALUE_DEPTH}; i++) ok = { a: ok }; (await rlm_query("q", ok)).length`),
        '5\n',
      );
      // Brackets inside a string, after an escaped quote, are not nesting: the tool takes this.
      const quoted = `let s = { a: '\\\\" [[[[[[[[' }; for (let i = 2; i < ${MAX_VALUE_DEPTH}; i++) s = { a: s }; JSON.stringify(await echo(s)).length`;
      assert.match(await runOk(repl, quoted), /^\d+\n$/);
      assert.equal(recorded.calls.length, 1);
    });
  });
});

describe('IsolateRepl: Intl objects, whose memory is outside the heap limit, are bounded', () => {
  it('millions of Intl objects kept in an array do not grow the process past the isolate limit', async () => {
    await withRepl({ memoryLimitMb: 64, cellTimeoutMs: 60_000 }, async (repl) => {
      const before = process.memoryUsage().rss;
      const result = await repl.run(
        'const keep = []; for (let i = 0; i < 150_000; i++) keep.push(new Intl.Segmenter("en", { granularity: "word" })); keep.length',
      );
      const grew = (process.memoryUsage().rss - before) / 2 ** 20;
      assert.equal(result.error, undefined);
      assert.equal(result.output, '150000\n');
      // Each segmenter held about 7 KB of ICU memory: a gigabyte here, in a 64 MiB isolate.
      assert.ok(grew < 250, `the process grew by ${Math.round(grew)} MiB`);
    });
  });

  it('Intl objects still work as Intl objects; too many different ones is a clear error', async () => {
    await withRepl({ cellTimeoutMs: 60_000 }, async (repl) => {
      const same = [
        'const a = new Intl.NumberFormat("en-US", { style: "currency", currency: "EUR" });',
        'const b = new Intl.NumberFormat("en-US", { style: "currency", currency: "EUR" });',
        'class Mine extends Intl.NumberFormat { twice(n) { return this.format(n) + this.format(n) } }',
        'print(a.format(1234.5), a === b, a instanceof Intl.NumberFormat, a.constructor === Intl.NumberFormat, Intl.NumberFormat.name)',
        'print(Intl.NumberFormat("de-DE").format(1234.5), new Intl.NumberFormat(undefined).resolvedOptions().locale !== undefined)',
        'print(new Mine("en").twice(1), new Mine("en") !== new Mine("en"), Intl.DateTimeFormat.supportedLocalesOf(["en"]).join())',
        'print([...new Intl.Segmenter("en", { granularity: "word" }).segment("two words")].length, new Intl.Collator("en").compare("a", "b"))',
      ].join('\n');
      assert.equal(await runOk(repl, same), '€1,234.50 true true true NumberFormat\n1.234,5 true\n11 true en\n3 -1\n');
      const many = await repl.run(
        'const made = []; for (let i = 0; i < 10_000; i++) made.push(new Intl.NumberFormat("en", { minimumIntegerDigits: 1 + (i % 21), maximumFractionDigits: i % 100 }))',
      );
      assert.match(
        many.error ?? '',
        /^RangeError: Intl\.NumberFormat: this REPL has made [\d,]+ different Intl objects, its limit .*; make one and reuse it/,
      );
      // Formatters made before still come back; toLocaleString makes none that lasts.
      assert.equal(
        await runOk(repl, 'print(new Intl.NumberFormat("de-DE").format(2.5), (7).toLocaleString("en", { minimumIntegerDigits: 3 }))'),
        '2,5 007\n',
      );
    });
  });
});
