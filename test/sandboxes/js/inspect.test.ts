/**
 * inspect: how the REPL shows values. It runs inside the isolate (no util.inspect there), so it
 * imitates Node; here it is compared with Node's own util.inspect where they should agree, and
 * its deliberate differences (top-level strings, cycles, Promises, Errors) are pinned down.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import util from 'node:util';
import { inspect } from '../../../src/sandboxes/in-isolate/inspect.ts';

function sameAsNode(value: unknown): void {
  assert.equal(inspect(value), util.inspect(value));
}

class Point {
  x = 1;
  y = 2;
}
class Empty {}
class Base {
  kind = 'base';
}
class Derived extends Base {
  extra = [1, 2];
}

describe('inspect agrees with util.inspect', () => {
  it('numbers, -0, NaN, infinities, bigint', () => {
    for (const value of [0, 42, -7, 1.5, 1e21, 2 ** -30, -0, NaN, Infinity, -Infinity, 12n, -3n, 2n ** 70n]) sameAsNode(value);
  });

  it('booleans, null, undefined, symbols', () => {
    for (const value of [true, false, null, undefined, Symbol('tag'), Symbol(), Symbol.iterator]) sameAsNode(value);
  });

  it('strings nested in arrays and objects, with the quote Node picks', () => {
    sameAsNode(['plain', "it's", 'say "hi"', 'both \' and "', 'all \' " `']);
    sameAsNode({ text: 'line one\nline two', tab: 'a\tb', slash: 'a\\b' });
    sameAsNode([['deep', ['deeper']]]);
    sameAsNode({ '': 1, 'with space': 2, 'kebab-key': 3, _ok: 5, '1abc': 6 });
  });

  it('arrays: empty, short, nested, typed', () => {
    for (const value of [[], [1, 2, 3], [[1, [2, [3]]]], ['a', 1, null, undefined, true], new Uint8Array([1, 2, 3]), new Float64Array(2)]) {
      sameAsNode(value);
    }
  });

  it('objects: empty, nested, and deeper than 2 levels shown as [Object] / [Array]', () => {
    sameAsNode({});
    sameAsNode({ a: 1, b: { c: 2 } });
    sameAsNode({ a: { b: { c: { d: 1 } } } });
    sameAsNode({ a: { b: { c: [1, 2] } } });
    sameAsNode([[[[1]]]]);
    sameAsNode({ list: [{ x: 1 }, { y: [2] }] });
    assert.equal(inspect({ a: { b: { c: { d: 1 } } } }), '{ a: { b: { c: [Object] } } }');
  });

  it('objects too long for one line break one key per line', () => {
    const value = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`key${i}`, `value number ${i}`]));
    sameAsNode(value);
    assert.ok(inspect(value).includes('\n  key0: '));
  });

  it('Map and Set, empty and nested', () => {
    sameAsNode(
      new Map<string, unknown>([
        ['a', 1],
        ['b', { c: 2 }],
      ]),
    );
    sameAsNode(new Set([1, 'x', [2]]));
    sameAsNode(new Map());
    sameAsNode(new Set());
    sameAsNode({ m: new Map([[1, new Set([2])]]) });
  });

  it('class instances, empty ones and subclasses', () => {
    sameAsNode(new Point());
    sameAsNode(new Empty());
    sameAsNode(new Derived());
    sameAsNode([new Point()]);
  });

  it('null-prototype objects', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.a = 1;
    sameAsNode(bare);
    assert.equal(inspect(bare), '[Object: null prototype] { a: 1 }');
  });

  it('functions and classes', () => {
    function named() {}
    const anonymous = (
      () => () =>
        1
    )();
    async function asyncOne() {}
    function* generator() {}
    for (const value of [named, anonymous, asyncOne, generator, Point, Empty, class {}, Math.max]) sameAsNode(value);
    assert.equal(inspect(named), '[Function: named]');
    assert.equal(inspect(Point), '[class Point]');
    sameAsNode(Object.assign(function withProps() {}, { a: 1 }));
  });

  it('dates, regular expressions, getters, WeakMap', () => {
    for (const value of [
      new Date(0),
      new Date(Number.NaN),
      /a+b/gi,
      {
        get g() {
          return 1;
        },
      },
      { set s(_v: number) {} },
      new WeakMap(),
      new WeakSet(),
    ]) {
      sameAsNode(value);
    }
  });

  it('at most 100 array items, then "... N more items"', () => {
    const hundredFifty = Array.from({ length: 150 }, (_, i) => i);
    const shown = inspect(hundredFifty);
    const lines = shown.split('\n');
    assert.equal(lines.at(-2), '  ... 50 more items');
    assert.equal(lines.at(-1), ']');
    assert.ok(shown.includes(' 99,'), 'item 99 is shown');
    assert.ok(!/\b100\b/.test(shown.replace('... 50 more items', '')), 'item 100 is not');
    assert.equal(util.inspect(hundredFifty).split('\n').at(-2), '  ... 50 more items', 'the same note as Node');
    assert.equal(
      inspect(Array.from({ length: 101 }, () => 0))
        .split('\n')
        .at(-2),
      '  ... 1 more item',
    );
  });

  it('packs long arrays of short items into rows within 80 columns, like Node', () => {
    const numbers = Array.from({ length: 100 }, (_, i) => i * 7);
    const shown = inspect(numbers);
    const lines = shown.split('\n');
    assert.ok(lines.length > 3 && lines.length < 20, `rows, not one line per item: ${lines.length} lines`);
    for (const line of lines) assert.ok(line.length <= 80, `line within 80 columns: "${line}"`);
    // Every item is there, in order.
    assert.deepEqual(shown.match(/\d+/g)?.map(Number), numbers);
    // The "... more items" note no longer widens the columns (it used to set their width).
    const long = inspect(Array.from({ length: 150 }, (_, i) => i));
    assert.ok(long.split('\n')[1]!.length <= 80 && long.split('\n').length <= 12, long);
  });

  it('breaks long arrays of long items one per line', () => {
    const words = Array.from({ length: 8 }, (_, i) => `a fairly long string item number ${i}`);
    sameAsNode(words);
  });
});

describe('inspect where it deliberately differs from util.inspect', () => {
  it('shows a top-level string as is, like console.log (util.inspect quotes it)', () => {
    assert.equal(inspect('hello'), 'hello');
    assert.equal(inspect("it's"), "it's");
    assert.equal(util.format('%s', 'hello'), inspect('hello'));
  });

  it('shows cycles as [Circular], without reference marks', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node.self = node;
    assert.equal(inspect(node), "{ name: 'root', self: [Circular] }");
    const list: unknown[] = [1];
    list.push(list);
    assert.equal(inspect(list), '[ 1, [Circular] ]');
    const a: Record<string, unknown> = {};
    const b: Record<string, unknown> = { a };
    a.b = b;
    assert.equal(inspect(a), '{ b: { a: [Circular] } }');
  });

  it('shows the same object twice (not a cycle) in full both times', () => {
    const shared = { v: 1 };
    assert.equal(inspect([shared, shared]), '[ { v: 1 }, { v: 1 } ]');
  });

  it('shows a Promise as not awaited, whatever its state', () => {
    const resolved = Promise.resolve(1);
    const rejected = Promise.reject(new Error('x'));
    rejected.catch(() => {});
    assert.equal(inspect(resolved), 'Promise { <not awaited> }');
    assert.equal(inspect(rejected), 'Promise { <not awaited> }');
    assert.equal(inspect({ p: resolved }), '{ p: Promise { <not awaited> } }');
  });

  it('shows an Error as its stack cut to four lines', () => {
    const error = new Error('boom');
    const shown = inspect(error);
    assert.ok(shown.startsWith('Error: boom\n    at '));
    assert.equal(shown.split('\n').length, 4);
    const bare = new TypeError('no stack');
    delete bare.stack;
    assert.equal(inspect(bare), '[TypeError: no stack]');
  });

  it('marks symbol keys with brackets and shows each hole of a sparse array', () => {
    assert.equal(inspect({ [Symbol('k')]: 1 }), '{ [Symbol(k)]: 1 }');
    assert.equal(inspect([1, , 3]), '[ 1, <empty>, 3 ]');
  });

  it('cuts objects with over 100 keys', () => {
    const big = Object.fromEntries(Array.from({ length: 105 }, (_, i) => [`k${i}`, i]));
    assert.ok(inspect(big).endsWith('... 5 more properties\n}'));
  });

  it('takes depth, breakLength and maxArrayLength options', () => {
    assert.equal(inspect({ a: { b: { c: { d: 1 } } } }, { depth: 0 }), '{ a: [Object] }');
    assert.equal(inspect([1, 2, 3], { maxArrayLength: 2 }), '[ 1, 2, ... 1 more item ]');
    assert.equal(inspect({ a: 1, b: 2 }, { breakLength: 5 }), '{\n  a: 1,\n  b: 2\n}');
  });

  it('never runs getters, and survives values that throw when touched', () => {
    let ran = false;
    const sneaky = {
      get trap() {
        ran = true;
        throw new Error('getter ran');
      },
    };
    assert.equal(inspect(sneaky), '{ trap: [Getter] }');
    assert.equal(ran, false);
  });

  it('is self-contained, so that it can be sent into the isolate as source text', () => {
    const rebuilt = new Function(`return (${inspect.toString()})`)() as typeof inspect;
    assert.equal(rebuilt({ a: [1, 'x', new Map([[1, 2]])] }), "{ a: [ 1, 'x', Map(1) { 1 => 2 } ] }");
  });
});
