/**
 * JsSandbox, for real: a V8 isolate (isolated-vm) running cells, with a bridge of real async
 * functions on timers. What only the JavaScript REPL has: top-level await and promises, console,
 * isolate rebuilds, V8's own failures, and escapes through the isolate's realm. What every REPL
 * does (state, output, errors, faults, sub-calls, final answers, common escapes) is tested for
 * every language at once in ../conformance.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import util from 'node:util';
import vm from 'node:vm';
import { JsSandbox } from '../../../src/sandboxes/host/js-sandbox.ts';
import { REPL_NAMES } from '../../../src/sandboxes/sandbox.ts';
import { isCancelled } from '../support.ts';
import { recordingBridge, runOk, sleep, untilReplIdle, withSandbox } from './helpers.ts';

/** The error of a cell that returned while a call it made was still running (it is ended with the cell). */
const LEFT_A_CALL = /^Error: 1 call this cell started was still running when the cell ended, and was cancelled/;

describe('JsSandbox: cells and state', () => {
  it('REPL functions cannot be redefined as properties, and console cannot be replaced', async () => {
    await withSandbox({}, async (sandbox) => {
      const redefine = await sandbox.run('Object.defineProperty(globalThis, "print", { value: () => {} })');
      assert.match(redefine.error ?? '', /^TypeError: Cannot redefine property: print/);
      const consoleSwap = await sandbox.run('console.log = () => {}; console.log("console still works")');
      assert.equal(consoleSwap.output, 'console still works\n');
    });
  });

  it('supports top-level await', async () => {
    await withSandbox({}, async (sandbox) => {
      await runOk(sandbox, 'const reply = await llm_query("hello");');
      assert.equal(await runOk(sandbox, 'reply'), 'answer:hello\n');
      assert.equal(await runOk(sandbox, 'const doubled = await Promise.resolve(21).then((n) => n * 2);\ndoubled'), '42\n');
      assert.equal(await runOk(sandbox, 'for await (const x of [Promise.resolve("a"), "b"]) print(x)'), 'a\nb\n');
    });
  });

  it('runs llm_query calls given to Promise.all at the same time', async () => {
    await withSandbox({ bridge: { delayMs: 100 } }, async (sandbox, recorded) => {
      const started = performance.now();
      const output = await runOk(
        sandbox,
        'const answers = await Promise.all([1, 2, 3, 4, 5].map((i) => llm_query("part " + i)));\nanswers.join("|")',
      );
      const elapsed = performance.now() - started;
      assert.equal(output, 'answer:part 1|answer:part 2|answer:part 3|answer:part 4|answer:part 5\n');
      assert.equal(recorded.maxInFlight, 5, 'all five calls were in flight together');
      assert.ok(elapsed < 400, `five 100 ms calls overlapped (took ${Math.round(elapsed)} ms)`);
    });
  });

  it('print and console.* format values as console.log does', async () => {
    await withSandbox({}, async (sandbox) => {
      const output = await runOk(
        sandbox,
        [
          'print("text", 1, -0, 2n, null, undefined, true)',
          'console.log({ a: "x", list: [1, "two", { deep: { deeper: {} } }] })',
          'console.info(new Map([["k", 1]]), new Set(["v"]))',
          'console.warn([1, 2, 3], "warn")',
          'console.error("error", { e: 1 })',
          'console.debug(function named() {}, class Shape {})',
          'print()',
        ].join('\n'),
      );
      const expected = [
        util.format('text', 1, -0, 2n, null, undefined, true),
        util.format({ a: 'x', list: [1, 'two', { deep: { deeper: {} } }] }),
        util.format(new Map([['k', 1]]), new Set(['v'])),
        util.format([1, 2, 3], 'warn'),
        util.format('error', { e: 1 }),
        '[Function: named] [class Shape]',
        '',
      ].join('\n');
      assert.equal(output, expected + '\n');
    });
  });

  it('FINAL or FINAL_VAR given a Promise is an error, not an answer', async () => {
    await withSandbox({}, async (sandbox) => {
      const result = await sandbox.run('FINAL(llm_query("q"))');
      assert.equal(result.final, undefined);
      assert.match(result.error ?? '', /^TypeError: FINAL got a Promise: write FINAL\(await \.\.\.\)/);
      const byVar = await sandbox.run('FINAL_VAR(llm_query("q"))');
      assert.equal(byVar.final, undefined);
      assert.match(byVar.error ?? '', /^TypeError: FINAL_VAR got a Promise/);
    });
  });
});

describe('JsSandbox: faults are survived', () => {
  it('stops an endless loop after an await by rebuilding: variables are gone, the context is back', async () => {
    await withSandbox({ context: ['doc one', 'doc two'] }, async (sandbox) => {
      await runOk(sandbox, 'const survivor = "alive"; context.push("added");');
      const result = await sandbox.run('await llm_query("x");\nwhile (true) {}', { timeoutMs: 300 });
      assert.match(result.error ?? '', /^TimeoutError: the cell was still computing after 300 ms and was stopped/);
      assert.equal(result.restarted, true);
      // By the REPL itself, before the host would kill its process as stuck (15.3 s).
      assert.ok(result.durationMs < 8000, `stopped promptly (${Math.round(result.durationMs)} ms)`);
      assert.equal(await runOk(sandbox, 'typeof survivor'), 'undefined\n');
      assert.equal(await runOk(sandbox, 'context.join("|")'), 'doc one|doc two\n');
    });
  });

  it('stops an endless chain of microtasks', async () => {
    await withSandbox({}, async (sandbox) => {
      await runOk(sandbox, 'const survivor = 1;');
      const chained = await sandbox.run('Promise.resolve().then(function again() { return Promise.resolve().then(again) }); "returned"', {
        timeoutMs: 300,
      });
      assert.match(chained.error ?? '', /^TimeoutError/);
      const awaiting = await sandbox.run('while (true) await null', { timeoutMs: 300 });
      assert.match(awaiting.error ?? '', /^TimeoutError/);
      assert.equal(await runOk(sandbox, 'survivor + 1'), '2\n');
    });
  });

  it('gives up on a promise that never settles; variables survive', async () => {
    await withSandbox({}, async (sandbox) => {
      await runOk(sandbox, 'const survivor = "alive";');
      const result = await sandbox.run('print("waiting"); await new Promise(() => {})', { timeoutMs: 300 });
      assert.match(
        result.error ?? '',
        /^TimeoutError: the cell was still waiting \(on sub-calls or a promise that never settles\) after 300 ms/,
      );
      assert.equal(result.restarted, false);
      assert.equal(result.output, 'waiting\n');
      assert.equal(await runOk(sandbox, 'survivor'), 'alive\n');
      // Output the abandoned cell would write later is dropped, not shown with the next cell.
      assert.equal(await runOk(sandbox, '"next"'), 'next\n');
    });
  });

  it('a cell that cannot start because an earlier cell left a loop running is stopped, not hung', async () => {
    await withSandbox({ bridge: { delayMs: 20 } }, async (sandbox) => {
      await runOk(sandbox, 'const survivor = 1;');
      // The cell itself ends at once; the loop starts when its unawaited call is ended with it.
      const started = await sandbox.run('(async () => { try { await llm_query("x") } catch {} while (true) {} })(); "started"');
      assert.equal(started.output, 'started\n');
      assert.match(started.error ?? '', LEFT_A_CALL);
      await sleep(60);
      const blocked = await sandbox.run('survivor', { timeoutMs: 300 });
      assert.match(blocked.error ?? '', /could not start within 300 ms: the REPL was still busy with work an earlier cell left running/);
      assert.equal(blocked.restarted, true);
      assert.equal(await runOk(sandbox, 'typeof survivor + " " + context'), 'undefined the context text\n');
    });
  });

  it('reports an unawaited rejected promise as an unhandled rejection, in its cell or the next', async () => {
    await withSandbox({ bridge: { delayMs: 10 } }, async (sandbox) => {
      const now = await sandbox.run('Promise.reject(new Error("nobody caught me")); "value"');
      assert.equal(now.output, 'value\n');
      assert.match(now.error ?? '', /Unhandled promise rejection: nobody caught me/);
      const later = await sandbox.run('(async () => { try { await llm_query("x") } catch {} throw new Error("late failure") })(); "done"');
      assert.equal(later.output, 'done\n');
      assert.match(later.error ?? '', LEFT_A_CALL);
      await sleep(80);
      const next = await sandbox.run('"next"');
      assert.equal(next.output, 'next\n');
      assert.match(next.error ?? '', /Unhandled promise rejection: late failure/);
      assert.equal((await sandbox.run('"after"')).error, undefined, 'reported once');
    });
  });

  it('rebuilds after running out of memory after an await, and says it was memory', async () => {
    await withSandbox({ memoryLimitMb: 64 }, async (sandbox) => {
      const result = await sandbox.run(
        'await llm_query("x");\nconst hoard = [];\nfor (let i = 0; i < 1e5; i++) hoard.push(new Array(1e5).fill(i));',
      );
      assert.equal(result.error, 'RangeError: the cell ran out of memory (limit 64 MiB)');
      assert.equal(result.restarted, true);
      assert.equal(await runOk(sandbox, 'context'), 'the context text\n');
    });
  });

  it('rebuilds before the next cell when work left running ran out of memory between cells', async () => {
    await withSandbox({ memoryLimitMb: 64, bridge: { delayMs: 10 } }, async (sandbox) => {
      await runOk(sandbox, 'const survivor = 1;');
      const background =
        '(async () => { try { await llm_query("x") } catch {} const hoard = []; for (;;) hoard.push(new Array(1e5).fill(1)) })(); "started"';
      assert.equal((await sandbox.run(background)).output, 'started\n');
      // Between cells: the next cell is sent once the hoarding has ended, however loaded the machine.
      await untilReplIdle();
      const next = await sandbox.run('typeof survivor');
      assert.equal(next.restarted, true);
      // Usually the isolate is rebuilt before the cell runs. On a loaded machine the isolate can die
      // while this cell is starting (it is then asked to run again), or the REPL process's RSS
      // watchdog can kill the process first (the run's process cannot tell whose work it was).
      assert.match(next.error ?? '', /^RangeError: (work an earlier cell left running|the cell) ran out of memory \(limit 64 MiB\)/);
      if (next.error!.endsWith('so the REPL was restarted before this cell ran')) assert.equal(next.output, 'undefined\n');
      assert.equal(await runOk(sandbox, 'typeof survivor + " " + context'), 'undefined the context text\n');
      assert.equal((await sandbox.variable('context')).found, true);
    });
  });

  it('a cell waiting to start when work left running runs out of memory reports it, restarted', async () => {
    await withSandbox({ memoryLimitMb: 64, bridge: { delayMs: 10 } }, async (sandbox) => {
      const background =
        'let survivor = 1; (async () => { try { await llm_query("x") } catch {} const hoard = []; for (;;) hoard.push(new Array(1e5).fill(1)) })(); "started"';
      assert.equal((await sandbox.run(background)).output, 'started\n');
      // The call was ended with its cell: the isolate is busy filling its heap.
      const next = await sandbox.run('typeof survivor');
      assert.equal(next.restarted, true);
      // The REPL process's RSS watchdog (process-sandbox.ts) may kill the process before V8 stops
      // the isolate; the run's process then cannot tell whose work it was.
      assert.match(next.error ?? '', /^RangeError: (work an earlier cell left running|the cell) ran out of memory \(limit 64 MiB\)/);
      assert.equal(await runOk(sandbox, 'typeof survivor + " " + context'), 'undefined the context text\n');
    });
  });

  // Some V8 failures are fatal to the whole process whatever isolate they happen in
  // (isolated-vm issues #107, #527): an array filled past V8's table size aborts its process
  // ("invalid table size") seconds later, even under a 64 MiB limit. The isolate therefore lives
  // in a REPL process of its own; this test process is the host, and must outlive the abort.
  it('survives a V8 fatal error in the isolate: only the REPL process dies, and comes back', async () => {
    await withSandbox({ memoryLimitMb: 64, cellTimeoutMs: 500 }, async (sandbox) => {
      const first = await sandbox.run('new Array(2 ** 30).fill(0)');
      assert.match(first.error ?? '', /TimeoutError|memory/);
      assert.equal(first.restarted, true);
      const until = performance.now() + 8000;
      let lost = 0;
      while (performance.now() < until) {
        const cell = await sandbox.run('1 + 1');
        assert.equal(cell.output, '2\n');
        if (cell.error !== undefined) {
          // The abort came between cells: the next cell says so, and runs in a fresh REPL.
          assert.match(cell.error, /after the previous cell ended/);
          assert.equal(cell.restarted, true);
          lost++;
        }
        await sleep(500);
      }
      assert.ok(lost <= 1);
    });
  });

  it('refuses a huge ArrayBuffer within the memory limit without dying', async () => {
    await withSandbox({ memoryLimitMb: 64 }, async (sandbox) => {
      await runOk(sandbox, 'const survivor = 1;');
      const result = await sandbox.run('new ArrayBuffer(2 ** 30)');
      assert.match(result.error ?? '', /^RangeError: Array buffer allocation failed/);
      assert.equal(await runOk(sandbox, 'survivor'), '1\n');
    });
  });

  it('describes a thrown value whose description throws in turn', async () => {
    await withSandbox({}, async (sandbox) => {
      const badName = await sandbox.run('class Odd extends Error { get name() { throw new Error("no name") } }\nthrow new Odd("x")');
      assert.equal(badName.error, 'Uncaught exception (describing it threw another error)');
      const trap = await sandbox.run('throw new Proxy({}, { getPrototypeOf() { throw new Error("trap") } })');
      assert.equal(trap.error, 'Uncaught exception (describing it threw another error)');
      const stack = await sandbox.run('Error.prepareStackTrace = () => { throw new Error("no stack") };\nthrow new Error("real message")');
      assert.equal(stack.error, 'Error: real message');
      assert.equal(await runOk(sandbox, 'delete Error.prepareStackTrace; "fine"'), 'fine\n');
    });
  });

  it('dispose() aborts every call still in flight, whichever cell began it, and ends the sandbox', async () => {
    const recorded = recordingBridge();
    const sandbox = await JsSandbox.create({ context: 'c', bridge: recorded.bridge });
    assert.equal((await sandbox.run('llm_query("HANG left by the first cell"); "first"')).output, 'first\n');
    assert.equal((await sandbox.run('llm_query("HANG left by the second cell"); "second"')).output, 'second\n');
    assert.equal(recorded.calls.length, 2);
    sandbox.dispose();
    assert.ok(recorded.calls.every((c) => c.signal.aborted));
    await assert.rejects(sandbox.run('1'), isCancelled);
    assert.deepEqual(await sandbox.variable('x'), { found: false, names: [] });
  });

  it('ignores answers that arrive after the isolate was rebuilt', async () => {
    // This bridge ignores its signal and answers late.
    const answers: Array<() => void> = [];
    const bridge = {
      llm_query: (prompt: string) => new Promise<string>((resolve) => answers.push(() => resolve(`late:${prompt}`))),
      rlm_query: async () => 'unused',
      budget: () => ({}),
    };
    const sandbox = await JsSandbox.create({ context: 'c', bridge });
    try {
      const result = await sandbox.run('llm_query("slow"); await null; while (true) {}', { timeoutMs: 200 });
      assert.match(result.error ?? '', /^TimeoutError/);
      for (const answer of answers) answer();
      await sleep(20);
      assert.equal(await runOk(sandbox, '"after"'), 'after\n');
    } finally {
      sandbox.dispose();
    }
  });
});

describe('JsSandbox: escapes never reach the host', () => {
  const CANARY = 'RLM_HOST_CANARY';
  const hostPrepareStackTrace = Error.prepareStackTrace;

  before(() => {
    // Code that runs in the host realm would see this; code in the isolate never can.
    (globalThis as Record<string, unknown>)[CANARY] = 'host';
  });
  after(() => {
    delete (globalThis as Record<string, unknown>)[CANARY];
    delete process.env.RLM_ESCAPED;
  });

  /** Host objects untouched by anything a cell did. */
  function assertHostUntouched(): void {
    const probe = {} as Record<string, unknown>;
    assert.equal(probe.polluted, undefined, 'Object.prototype');
    assert.equal(([] as unknown as Record<string, unknown>).polluted, undefined, 'Array.prototype');
    assert.equal(('' as unknown as Record<string, unknown>).polluted, undefined, 'String.prototype');
    assert.equal((function () {} as unknown as Record<string, unknown>).polluted, undefined, 'Function.prototype');
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'toJSON'), false);
    assert.equal(JSON.stringify({ a: 1 }), '{"a":1}');
    assert.equal(Error.prepareStackTrace, hostPrepareStackTrace);
    assert.equal(process.env.RLM_ESCAPED, undefined);
    assert.equal((globalThis as Record<string, unknown>).escaped, undefined);
    assert.equal((globalThis as Record<string, unknown>)[CANARY], 'host');
  }

  /**
   * In-cell helper: `tryEscape(label, () => value)` records the label if the value is the host's
   * `process`, or if code run through it sees the host canary. It also tries to leave a mark.
   */
  const PROBE = `
    const found = [];
    const isHost = (v) => {
      try {
        if (v === 'host' || v === 'string') return true;
        if (v && (typeof v === 'object' || typeof v === 'function') && (v.versions || v.env || v.binding || v.mainModule)) {
          try { v.env.RLM_ESCAPED = '1' } catch {}
          return true;
        }
      } catch {}
      return false;
    };
    const tryEscape = async (label, attempt) => {
      try {
        let v = attempt();
        if (v && typeof v.then === 'function') v = await v;
        if (isHost(v)) found.push(label);
      } catch {}
    };
    const viaConstructor = (label, fn) => [
      tryEscape(label + '.constructor(process)', () => fn.constructor('return typeof process === "undefined" ? undefined : process')()),
      tryEscape(label + '.constructor(canary)', () => fn.constructor('return typeof ${CANARY}')()),
      tryEscape(label + '.constructor.constructor', () => fn.constructor.constructor('return typeof ${CANARY}')()),
      tryEscape(label + ' proto chain', () => Object.getPrototypeOf(fn).constructor('return typeof ${CANARY}')()),
    ];
  `;

  async function attempt(sandbox: JsSandbox, code: string): Promise<{ found: string; output: string; error?: string }> {
    const result = await sandbox.run(`${PROBE}\n${code}\nprint("found=" + JSON.stringify(found))`);
    const match = /found=(\[.*\])/.exec(result.output);
    assertHostUntouched();
    return {
      found: match?.[1] ?? `(probe did not finish: ${result.error})`,
      output: result.output,
      ...(result.error ? { error: result.error } : {}),
    };
  }

  it('the probe used below does detect an escape (checked in a realm that has the canary)', async () => {
    const realm = vm.createContext({ [CANARY]: 'host', process: { env: {}, versions: { node: '24' } }, print: () => {} });
    const found = (await vm.runInContext(
      `(async () => {${PROBE}
      await tryEscape('canary', () => Function('return typeof ${CANARY}')());
      await tryEscape('process', () => process);
      await Promise.all(viaConstructor('fn', () => 1));
      await tryEscape('nothing', () => 1);
      return JSON.stringify(found);
    })()`,
      realm,
    )) as string;
    assert.deepEqual(JSON.parse(found), [
      'canary',
      'process',
      'fn.constructor(process)',
      'fn.constructor(canary)',
      'fn.constructor.constructor',
      'fn proto chain',
    ]);
  });

  it('cannot import modules', async () => {
    await withSandbox({}, async (sandbox) => {
      const dynamic = await sandbox.run('await import("node:fs")');
      assert.ok(dynamic.error, 'import() fails');
      assert.doesNotMatch(dynamic.output, /readFile/);
      const data = await sandbox.run('await import("data:text/javascript,export default globalThis.process")');
      assert.ok(data.error);
      const staticImport = await sandbox.run('import fs from "node:fs"');
      assert.match(staticImport.error ?? '', /^SyntaxError/);
      const meta = await sandbox.run('import.meta');
      assert.match(meta.error ?? '', /^SyntaxError/);
    });
  });

  it('Function constructors reached from globalThis, this, eval or any built-in stay in the isolate', async () => {
    await withSandbox({}, async (sandbox) => {
      const { found, output } = await attempt(
        sandbox,
        `
        await Promise.all([
          ...viaConstructor('globalThis', globalThis),
          ...viaConstructor('globalThis.constructor', globalThis.constructor),
          ...viaConstructor('this', this),
          tryEscape('eval', () => eval('typeof ${CANARY}')),
          tryEscape('indirect eval', () => (0, eval)('typeof ${CANARY}')),
          tryEscape('Function', () => Function('return typeof ${CANARY}')()),
          tryEscape('Reflect.construct', () => Reflect.construct(Function, ['return typeof ${CANARY}'])()),
          ...Object.getOwnPropertyNames(globalThis).flatMap((name) => {
            const v = globalThis[name];
            return v && (typeof v === 'function' || typeof v === 'object') && v.constructor ? viaConstructor('global ' + name, v) : [];
          }),
        ]);
        print('checked ' + Object.getOwnPropertyNames(globalThis).length + ' globals');
      `,
      );
      assert.equal(found, '[]');
      assert.match(output, /checked \d+ globals/);
    });
  });

  it('every REPL function, console method and value they return is of the isolate', async () => {
    await withSandbox({ context: { some: ['data'] } }, async (sandbox) => {
      const { found, error } = await attempt(
        sandbox,
        `
        const fns = { ${REPL_NAMES.filter((n) => n !== 'context').join(', ')}, consoleLog: console.log, consoleError: console.error, console };
        const attempts = Object.entries(fns).flatMap(([name, fn]) => viaConstructor(name, fn));
        attempts.push(...viaConstructor('llm_query.call', llm_query.call), ...viaConstructor('print.bind', print.bind(null)));
        attempts.push(...viaConstructor('answer', await llm_query('x')));
        attempts.push(...viaConstructor('sub answer', await rlm_query('x')));
        attempts.push(...viaConstructor('batched', await llm_query_batched(['x'])));
        attempts.push(...viaConstructor('budget()', budget()));
        attempts.push(...viaConstructor('budget nested', budget().tokens));
        attempts.push(...viaConstructor('context', context));
        attempts.push(...viaConstructor('context nested', context.some));
        attempts.push(...viaConstructor('promise', llm_query('x')));
        try { await llm_query('FAIL') } catch (e) { attempts.push(...viaConstructor('bridge error', e)) }
        try { FINAL_VAR('missing') } catch (e) { attempts.push(...viaConstructor('runtime error', e)) }
        await Promise.all(attempts);
        await tryEscape('answer string', async () => (await llm_query('x')).constructor.constructor('return process')());
      `,
      );
      assert.equal(error, undefined);
      assert.equal(found, '[]');
    });
  });

  it('Error.prepareStackTrace set in the isolate sees only isolate frames and leaves the host alone', async () => {
    await withSandbox({}, async (sandbox) => {
      const { found, output } = await attempt(
        sandbox,
        `
        const seen = [];
        Error.prepareStackTrace = (error, frames) => {
          for (const frame of frames) {
            try { seen.push(frame.getThis()) } catch {}
            try { seen.push(frame.getFunction()) } catch {}
            try { seen.push(frame.getFileName()) } catch {}
          }
          return 'custom stack';
        };
        const throwing = { toJSON() { throw new Error('from toJSON') } };
        try { await llm_query(throwing) } catch (e) { e.stack }
        const getter = { get prompt() { try { null.x } catch (e) { e.stack } return 'p' } };
        await llm_query(getter);
        try { FINAL_VAR(Symbol('nope')) } catch (e) { e.stack }
        try { null.y } catch (e) { e.stack }
        await llm_query_batched([{ toJSON() { try { null.z } catch (e) { e.stack } return 'q' } }]);
        const fileNames = seen.filter((v) => typeof v === 'string');
        print('frames ' + seen.length + ' files ' + [...new Set(fileNames)].join(','));
        await Promise.all(seen.filter((v) => v && (typeof v === 'object' || typeof v === 'function')).flatMap((v, i) => viaConstructor('frame ' + i, v)));
        seen.forEach((v, i) => tryEscape('frame value ' + i, () => v));
      `,
      );
      assert.equal(found, '[]');
      assert.match(output, /frames \d+/);
      assert.doesNotMatch(output, /node:|file:|\.ts/, 'no host file names appear in isolate stacks');
      // A throw after the cell: the host's stacks are the host's.
      await sandbox.run('Error.prepareStackTrace = () => "hijacked"; throw new Error("x")');
      const hostError = new Error('host');
      assert.ok(hostError.stack?.startsWith('Error: host\n    at '));
      assertHostUntouched();
    });
  });

  it('prototype pollution in the isolate does not reach host objects or what the bridge receives', async () => {
    await withSandbox({ bridge: { budget: { spent: 1 } } }, async (sandbox, recorded) => {
      await runOk(
        sandbox,
        `
        Object.prototype.polluted = 1;
        Array.prototype.polluted = 2;
        String.prototype.polluted = 3;
        Function.prototype.polluted = 4;
        Object.prototype.model = 'hijacked-model';
        Object.defineProperty(Object.prototype, '__proto__', { get() { return { polluted: 5 } }, set() {}, configurable: true });
        await llm_query('with polluted prototypes');
        await rlm_query('sub', JSON.parse('{"__proto__": {"polluted": 6}, "plain": 1}'));
        budget().spent = 100;
      `,
      );
      assertHostUntouched();
      const [llm, rlm] = recorded.calls;
      assert.deepEqual(llm?.options, {}, 'no model option leaks in from a polluted prototype');
      assert.equal(Object.getPrototypeOf(llm?.options), Object.prototype);
      assert.equal(typeof llm?.prompt, 'string');
      const context = rlm?.context as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(context), Object.prototype, 'a "__proto__" key stays a key');
      assert.equal(context.plain, 1);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(await runOk(sandbox, 'budget().spent'), '1\n');
    });
  });

  it('has no timers, shared memory or WebAssembly', async () => {
    await withSandbox({ memoryLimitMb: 64 }, async (sandbox) => {
      assert.equal(
        await runOk(
          sandbox,
          '[typeof setTimeout, typeof setInterval, typeof queueMicrotask, typeof SharedArrayBuffer, typeof Atomics, typeof WebAssembly].join(" ")',
        ),
        'undefined undefined undefined undefined undefined undefined\n',
      );
      // WebAssembly memory lives outside the heap limit; it was removed so it cannot be used.
      const wasm = await sandbox.run('new WebAssembly.Memory({ initial: 4096 })');
      assert.match(wasm.error ?? '', /^ReferenceError: WebAssembly is not defined/);
    });
  });

  it('callers reached through arguments.callee.caller in callbacks are isolate functions', async () => {
    await withSandbox({}, async (sandbox) => {
      const { found, output } = await attempt(
        sandbox,
        `
        const callers = [];
        const collect = function () {
          try { let c = arguments.callee.caller; for (let i = 0; c && i < 10; i++) { callers.push(c); c = c.caller } } catch {}
        };
        await llm_query({ toJSON: function () { collect(); return 'prompt' } });
        await llm_query({ get text() { collect(); return 't' } });
        await llm_query(Object.assign(function () {}, { [Symbol.toPrimitive]: function () { collect(); return 'prim' } }));
        await llm_query('x', { get model() { collect(); return 'm' } });
        const originalMap = Array.prototype.map;
        Array.prototype.map = function (...args) { collect(); return originalMap.apply(this, args) };
        await llm_query_batched(['a']);
        Array.prototype.map = originalMap;
        (await llm_query('y')).toString.call('z');
        print('callers ' + callers.length);
        await Promise.all(callers.flatMap((c, i) => viaConstructor('caller ' + i, c)));
      `,
      );
      assert.equal(found, '[]');
      assert.match(output, /callers \d+/);
    });
  });

  it('a Proxy or getter as a prompt runs only in the isolate; the host gets a plain string', async () => {
    await withSandbox({}, async (sandbox, recorded) => {
      const output = await runOk(
        sandbox,
        `
        const log = [];
        const proxy = new Proxy({ real: 1 }, {
          get(target, key) { log.push('get ' + String(key)); return Reflect.get(target, key) },
          ownKeys(target) { log.push('ownKeys'); return Reflect.ownKeys(target) },
          getPrototypeOf(target) { log.push('getPrototypeOf'); return Reflect.getPrototypeOf(target) },
        });
        print(await llm_query(proxy));
        print(await llm_query({ get text() { return 'from a getter' } }));
        print(await llm_query(Symbol('tag')));
        print(await llm_query(Object.assign(() => 1, { [Symbol.toPrimitive]: () => 'to primitive' })));
        print(await llm_query({ toJSON() { return undefined } }));
        const revocable = Proxy.revocable({}, {}); revocable.revoke();
        try { await llm_query(revocable.proxy) } catch (e) { print('revoked:', e.constructor.name) }
        try { await llm_query(new Proxy({}, { get() { throw new Error('trap threw') } })) } catch (e) { print('threw:', e.message) }
        try { await llm_query({ toJSON() { return 1n } }) } catch (e) { print('bigint:', e.constructor.name) }
        let deep = {}; for (let i = 0; i < 20000; i++) deep = { deep };
        try { await llm_query(deep); print('deep: sent') } catch (e) { print('deep:', e.constructor.name) }
        try { await llm_query('x', new Proxy({}, { get() { return 123 } })) } catch (e) { print('model:', e.message) }
        print(await llm_query('y', new Proxy({}, { get: (t, k) => k === 'model' ? 'proxied-model' : undefined })));
        print(log.includes('ownKeys'));
      `,
      );
      const lines = output.split('\n');
      assert.match(lines[8] ?? '', /^deep: (sent|TypeError)$/);
      lines.splice(8, 1);
      assert.equal(
        lines.join('\n'),
        [
          'answer:{"real":1}',
          'answer:{"text":"from a getter"}',
          'answer:Symbol(tag)',
          'answer:to primitive',
          'answer:[object Object]',
          'revoked: TypeError',
          'threw: llm_query: the prompt cannot be sent as JSON: trap threw',
          'bigint: TypeError',
          'model: llm_query: options.model must be a string',
          'answer:y',
          'true',
          '',
        ].join('\n'),
      );
      for (const call of recorded.calls) {
        assert.equal(typeof call.prompt, 'string');
        assert.equal(Object.getPrototypeOf(call.options), Object.prototype);
      }
      assert.deepEqual(recorded.calls.at(-1)?.options, { model: 'proxied-model' });
      assertHostUntouched();
    });
  });

  it('redefining JSON does not break calls, answers or outcomes', async () => {
    await withSandbox({}, async (sandbox, recorded) => {
      const output = await runOk(
        sandbox,
        `
        JSON.stringify = () => { throw new Error('stringify hijacked') };
        JSON.parse = () => ({ forged: true });
        print(await llm_query('still a prompt', { model: 'm' }));
        print(await rlm_query('sub', [1, 2]));
        print(budget().tokens.used);
        SHOW_VARS();
      `,
      );
      assert.match(output, /^answer:still a prompt\nsub:sub\n1200\nVariables:\n/);
      assert.deepEqual(
        recorded.calls.map((c) => [c.prompt, c.kind === 'rlm_query' ? c.context : c.options]),
        [
          ['still a prompt', { model: 'm' }],
          ['sub', [1, 2]],
        ],
      );
      assert.equal((await sandbox.run('FINAL({ a: 1 })')).final, '{\n  "a": 1\n}');
      await runOk(sandbox, 'const kept = "value"');
      assert.deepEqual(await sandbox.variable('kept'), { found: true, value: 'value' });
      await runOk(sandbox, 'JSON.stringify = () => 123; globalThis.JSON = undefined;');
      assert.equal(await runOk(sandbox, 'await llm_query("no JSON at all")'), 'answer:no JSON at all\n');
      assert.equal((await sandbox.run('FINAL([1])')).final, '[\n  1\n]');
      assert.equal((await sandbox.variable('missing')).found, false);
      assertHostUntouched();
    });
  });

  it('a toJSON on Object.prototype or Array.prototype does not corrupt what reaches the host', async () => {
    await withSandbox({}, async (sandbox, recorded) => {
      await runOk(
        sandbox,
        'Object.prototype.toJSON = function () { return "hijacked" }; Array.prototype.toJSON = function () { return 5 };',
      );
      assert.equal(await runOk(sandbox, '"the cell still reports"'), 'the cell still reports\n');
      assert.equal(await runOk(sandbox, 'await llm_query("prompt", { model: "m" })'), 'answer:prompt\n');
      assert.deepEqual(recorded.calls[0]?.options, { model: 'm' });
      assert.equal((await sandbox.run('FINAL("text answer")')).final, 'text answer');
      await runOk(sandbox, 'const kept = "value"');
      assert.deepEqual(await sandbox.variable('kept'), { found: true, value: 'value' });
      const missing = await sandbox.variable('missing');
      assert.equal(missing.found, false);
      assert.ok(!missing.found && missing.names.includes('kept'));
      assert.equal(
        await runOk(sandbox, 'SHOW_VARS(); delete Object.prototype.toJSON; delete Array.prototype.toJSON'),
        'Variables:\n  context: string, 16 chars\n  kept: string, 5 chars\n',
      );
      assertHostUntouched();
    });
  });

  it('breaking Promise, Map or Array built-ins never crashes the host', async () => {
    const attacks = [
      'Promise.prototype.then = function () {}; 1',
      'Promise.prototype.then = function () { return new Promise(() => {}) }; 1',
      'Promise.prototype.constructor = function Fake() {}; 1',
      'Promise = undefined; await llm_query("x")',
      'Map.prototype.get = () => undefined; Map.prototype.set = () => {}; await llm_query("x")',
      'Array.prototype.map = () => 7; Array.prototype.join = () => ({}); print(1, 2); [1, 2]',
      'Object.getOwnPropertyNames = () => { throw new Error("no names") }; SHOW_VARS()',
      'String.prototype.slice = () => { throw new Error("no slice") }; print("x".repeat(10))',
      'Object.defineProperty(globalThis, "trap", { get() { throw new Error("getter") }, configurable: true }); FINAL_VAR("trap")',
    ];
    for (const attack of attacks) {
      await withSandbox({ cellTimeoutMs: 500 }, async (sandbox) => {
        const result = await sandbox.run(attack);
        assert.equal(typeof result.output, 'string', attack);
        assert.equal(result.final === undefined || typeof result.final === 'string', true, attack);
        // Whatever the attack did, the sandbox answers the next cell (perhaps after a restart).
        const next = await sandbox.run('"next"');
        assert.equal(typeof next.output, 'string', attack);
        const variable = await sandbox.variable('trap');
        assert.equal(typeof variable.found, 'boolean');
        assertHostUntouched();
      });
    }
  });

  it('a throwing or endless getter read by variable() is "not found", not a host error', async () => {
    await withSandbox({}, async (sandbox) => {
      await runOk(sandbox, 'Object.defineProperty(globalThis, "bad", { get() { throw new Error("nope") }, configurable: true })');
      assert.deepEqual(await sandbox.variable('bad'), { found: false, names: [] });
      assert.equal(await runOk(sandbox, '"still usable"'), 'still usable\n');
    });
  });
});
