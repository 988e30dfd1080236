/**
 * More contexts in a live REPL (`Sandbox.addContext`), for every sandbox: each becomes
 * `context_<n>` and `context`, the first stays `context_0`, variables survive, and a REPL
 * restarted after a crash (or rebuilt inside its process) comes back with every context. The
 * cases of a block share one sandbox and run in order.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PythonSandbox } from '../../src/sandboxes/host/python-sandbox.ts';
import { bootWorker, PyodideRepl } from '../../src/sandboxes/repl-process/pyodide-repl.ts';
import { untilReplIdle, withSandbox } from './js/helpers.ts';
import { recordingBridge, replProcesses, runOk, sharedSandbox, sleep, LANGUAGES } from './support.ts';

after(() => PythonSandbox.coolDown());

/** The REPL process's entry module, per language, as it appears in its command line. */
const ENTRY = { javascript: /repl-process[/\\]js-main\.[jt]s$/, python: /repl-process[/\\]python-main\.[jt]s$/ };

for (const language of LANGUAGES) {
  const pick = <T>(js: T, py: T): T => (language === 'javascript' ? js : py);
  /** Kills this test's REPL processes of the language (the sandbox's and any spare): the sandbox must come back. */
  const killRepls = async () => {
    for (const repl of replProcesses(ENTRY[language])) process.kill(repl.pid, 'SIGKILL');
    await sleep(300);
  };

  describe(`${language} REPL: contexts added to a live REPL`, { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
    const shared = sharedSandbox(language, {
      context: 'first',
      cellTimeoutMs: 5000,
      memoryLimitMb: 128,
      bridge: { delayMs: (prompt) => (prompt.includes('SLOW') ? 400 : 5) },
    });

    it('a second context is context_1 and `context`; context_0 is the first; variables survive', async () => {
      await runOk(shared.sandbox, pick('const kept = 41;', 'kept = 41'));
      assert.equal(await shared.sandbox.addContext('second'), 1);
      assert.equal(
        await runOk(
          shared.sandbox,
          pick('print(context, context_0, context_1, kept + 1)', 'print(context, context_0, context_1, kept + 1)'),
        ),
        'second first second 42\n',
      );
    });

    it('a third context, JSON data, is context_2; the earlier ones keep their names', async () => {
      assert.equal(await shared.sandbox.addContext({ rows: [1, 2, 3] }), 2);
      assert.equal(
        await runOk(
          shared.sandbox,
          pick(
            'print(context.rows.length, context_2 === context, context_1, context_0)',
            'print(len(context["rows"]), context_2 is context, context_1, context_0)',
          ),
        ),
        pick('3 true second first\n', '3 True second first\n'),
      );
    });

    it('SHOW_VARS lists each context `context` does not name; FINAL_VAR and variable() read them; the variable listing leaves them out', async () => {
      const shown = await runOk(shared.sandbox, 'SHOW_VARS()');
      assert.match(shown, /^ {2}context_0: .* \(context 0 as loaded\)$/m);
      assert.match(shown, /^ {2}context_1: .* \(context 1 as loaded\)$/m);
      assert.doesNotMatch(shown, /context_2/, 'the same value as `context` is not listed twice');
      assert.match(shown, /^ {2}context: /m);
      const final = await shared.sandbox.run('FINAL_VAR("context_1")');
      assert.equal(final.final, 'second');
      assert.deepEqual(await shared.sandbox.variable('context_0'), { found: true, value: 'first' });
      const missing = await shared.sandbox.variable('missing');
      assert.ok(!missing.found && !missing.names.some((n) => n.startsWith('context_')), JSON.stringify(missing));
    });

    it('a cell that replaces `context` or a context_<n> name does not lose the context', async () => {
      const replaced = await shared.sandbox.run(pick('context_1 = "gone"', 'context_1 = "gone"'));
      if (language === 'javascript') assert.match(replaced.error ?? '', /context_1 is a context as loaded/);
      await runOk(shared.sandbox, 'context = "mine"');
      assert.equal(
        await runOk(
          shared.sandbox,
          pick('print(context, context_1, context_2.rows[0])', 'print(context, context_1, context_2["rows"][0])'),
        ),
        'mine second 1\n',
      );
      await runOk(shared.sandbox, pick('context = context_2', 'context = context_2'));
    });

    it('is refused while a cell runs, and contexts added together load in order before the next cell', async () => {
      const running = shared.sandbox.run(pick('await llm_query("SLOW")', 'llm_query("SLOW")'));
      await sleep(100);
      await assert.rejects(shared.sandbox.addContext('refused'), /a cell is running/);
      assert.equal((await running).error, undefined);
      const both = Promise.all([shared.sandbox.addContext('fourth'), shared.sandbox.addContext('fifth')]);
      const cell = shared.sandbox.run('print(context, context_3, context_4)');
      assert.deepEqual(await both, [3, 4]);
      assert.equal((await cell).output, 'fifth fourth fifth\n');
    });

    it('a REPL process killed between cells comes back with every context', async () => {
      await killRepls();
      const next = await shared.sandbox.run(
        pick(
          'print(context, context_0, context_1, context_2.rows.length, context_3, context_4, typeof kept)',
          'print(context, context_0, context_1, len(context_2["rows"]), context_3, context_4, "kept" in globals())',
        ),
      );
      assert.equal(next.restarted, true);
      assert.equal(next.output, pick('fifth first second 3 fourth fifth undefined\n', 'fifth first second 3 fourth fifth False\n'));
    });

    it('a context added after the REPL process died between cells loads with the others', async () => {
      await killRepls();
      assert.equal(await shared.sandbox.addContext('sixth'), 5);
      const next = await shared.sandbox.run('print(context, context_0, context_5)');
      assert.equal(next.output, 'sixth first sixth\n');
      assert.equal(next.restarted, true, 'the cell still says its variables are gone');
    });

    it('a REPL rebuilt inside its process (V8 gives up an isolate out of memory; CPython a worker that will not stop) keeps every context', async () => {
      const stuck = await shared.sandbox.run(
        pick(
          'const hoard = [];\nfor (let i = 0; i < 1e5; i++) hoard.push(new Array(1e5).fill(i));',
          'while True:\n    try:\n        while True: pass\n    except KeyboardInterrupt:\n        pass',
        ),
        { timeoutMs: pick(5000, 300) },
      );
      assert.equal(stuck.restarted, true, stuck.error);
      assert.equal(await runOk(shared.sandbox, 'print(context, context_0, context_1)'), 'sixth first second\n');
    });
  });
}

for (const language of LANGUAGES) {
  describe(`${language} REPL: a context too large to load`, () => {
    const shared = sharedSandbox(language, { context: 'first', memoryLimitMb: 64 });

    it('is refused, and the REPL goes on with the contexts it had; the next one takes its number', async () => {
      await assert.rejects(shared.sandbox.addContext('x'.repeat(200_000_000)), /the context could not be loaded|the REPL stopped/);
      assert.equal(await shared.sandbox.addContext('second'), 1);
      const next = await shared.sandbox.run('print(context, context_0, context_1)');
      assert.equal(next.output, 'second first second\n');
    });
  });
}

describe('javascript REPL: context_<n> names', () => {
  const shared = sharedSandbox('javascript', { context: 'first' });

  it('a cell may not declare a context_<n> name, which a later context would take', async () => {
    const declared = await shared.sandbox.run('const context_7 = 1');
    assert.match(declared.error ?? '', /'context_7' is a built-in of this REPL/);
    assert.equal(await shared.sandbox.addContext('second'), 1);
    assert.equal(await runOk(shared.sandbox, 'print(context_1)'), 'second\n');
  });
});

describe(
  'JavaScript engine: a context added after its isolate died between cells',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  () => {
    it('is loaded with the others when the next cell rebuilds the isolate', async () => {
      await withSandbox({ memoryLimitMb: 64, context: 'first', bridge: { delayMs: 10 } }, async (sandbox) => {
        const background =
          '(async () => { try { await llm_query("x") } catch {} const hoard = []; for (;;) hoard.push(new Array(1e5).fill(1)) })(); "started"';
        assert.equal((await sandbox.run(background)).output, 'started\n');
        await untilReplIdle();
        assert.equal(await sandbox.addContext('second'), 1);
        const next = await sandbox.run('print(context, context_0, context_1)');
        // The hoard ran the isolate out of memory, or, on a loaded machine where it grows slower,
        // was stopped for computing past its cell's end: either way the isolate was ended, and
        // the next cell's has every context.
        assert.ok(
          next.restarted || /was still computing .* after the cell ended, and was stopped/.test(next.error ?? ''),
          JSON.stringify(next),
        );
        assert.equal(next.output, 'second first second\n');
      });
    });
  },
);

describe(
  'JavaScript engine: a context added while work an earlier cell left running runs the isolate out of memory',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  () => {
    it(
      'is loaded into a rebuilt isolate with the others, and the next cell says the REPL was restarted',
      { timeout: 120_000 },
      async () => {
        await withSandbox({ memoryLimitMb: 64, context: 'first', cellTimeoutMs: 60_000, bridge: { delayMs: 10 } }, async (sandbox) => {
          // It hoards a few MiB a second, so the context's load waits behind it and the isolate dies under the load.
          const background =
            '(async () => { try { await llm_query("x") } catch {} const hoard = []; for (;;) { const t = Date.now(); while (Date.now() - t < 20); hoard.push(new Array(2e4).fill(1)) } })(); "started"';
          assert.equal((await sandbox.run(background)).output, 'started\n');
          await untilReplBusy(ENTRY.javascript);
          assert.equal(await sandbox.addContext('second'), 1);
          const next = await sandbox.run('print(context, context_0, context_1)');
          assert.equal(next.restarted, true, JSON.stringify(next));
          assert.match(next.error ?? '', /ran out of memory/);
          assert.equal(next.output, 'second first second\n');
        });
      },
    );
  },
);

/** Waits until this test's REPL process (or the process it runs under its wrapper) burns CPU: over half of a 200 ms sample. */
async function untilReplBusy(entry: RegExp, deadlineMs = 30_000): Promise<void> {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '';
    }
  };
  const withDescendants = (pid: number): number[] => [
    pid,
    ...readdirSync(`/proc/${pid}/task`, { withFileTypes: false }).flatMap((task) =>
      read(`/proc/${pid}/task/${task}/children`).trim().split(/\s+/).filter(Boolean).map(Number).flatMap(withDescendants),
    ),
  ];
  const ticks = () =>
    replProcesses(entry)
      .flatMap(({ pid }) => withDescendants(pid))
      .reduce((sum, pid) => {
        const fields = read(`/proc/${pid}/stat`).split(') ')[1]?.split(' ') ?? [];
        return sum + (Number(fields[11]) || 0) + (Number(fields[12]) || 0);
      }, 0);
  const until = performance.now() + deadlineMs;
  while (performance.now() < until) {
    const before = ticks();
    await sleep(200);
    if (ticks() - before > 10) return;
  }
  throw new Error(`the REPL process was not busy within ${deadlineMs} ms`);
}

describe('Python engine: a context added after its worker died between cells', () => {
  it('boots a new worker with every context, this one included, rather than waiting on the dead one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rlm-contexts-'));
    writeFileSync(join(dir, 'context'), 'first');
    writeFileSync(join(dir, 'context_1'), '"second"');
    const booted = await bootWorker();
    const repl = await PyodideRepl.create(
      { contextFiles: [{ path: join(dir, 'context'), format: 'text' }], bridge: recordingBridge().bridge },
      Promise.resolve(booted),
    );
    try {
      await booted.worker.terminate();
      assert.equal(await repl.addContextFile({ path: join(dir, 'context_1'), format: 'json' }), 1);
      assert.equal(await runOk(repl, 'print(context, context_0, context_1)'), 'second first second\n');
    } finally {
      repl.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
