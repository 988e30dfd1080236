/**
 * The Python REPL behaves as Python users and the official RLM REPL expect: time.sleep sleeps
 * (and yields to the cell's time limit), threads say what to use instead, answers are str(value),
 * `context_0` keeps the context as loaded, rlm_query takes a model, and a timed-out cell gives one
 * clear error while every call it made is ended. Tested on real Pyodide.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PythonSandbox } from '../../../src/sandboxes/host/python-sandbox.ts';
import { runOk, sharedSandbox, sleep } from '../support.ts';

after(() => PythonSandbox.coolDown());

describe('Python REPL fidelity', () => {
  const shared = sharedSandbox('python', { context: 'the context text', cellTimeoutMs: 30_000 });

  it('time.sleep(s) blocks for s seconds', async () => {
    const output = await runOk(
      shared.sandbox,
      'import time\nfrom time import sleep\nstart = time.monotonic()\ntime.sleep(0.4)\nsleep(0.2)\nprint(round(time.monotonic() - start, 1) >= 0.6)\ntime.sleep(0)\nprint(time.sleep.__name__)',
    );
    assert.equal(output, 'True\nsleep\n');
    assert.match((await shared.sandbox.run('import time\ntime.sleep(-1)')).error ?? '', /^ValueError: sleep length must be non-negative/);
    assert.match((await shared.sandbox.run("import time\ntime.sleep('1')")).error ?? '', /^TypeError: /);
    assert.match((await shared.sandbox.run("import time\ntime.sleep(float('inf'))")).error ?? '', /^OverflowError: /);
  });

  it('time.sleep yields to the cell time limit: the cell is stopped at the limit, variables kept', async () => {
    await runOk(shared.sandbox, 'kept = 1');
    const result = await shared.sandbox.run('import time\ntime.sleep(60)', { timeoutMs: 500 });
    assert.equal(result.error, 'TimeoutError: the cell was still sleeping (time.sleep) after 500 ms and was stopped');
    assert.equal(result.restarted, false);
    assert.ok(result.durationMs < 6000, `stopped at the limit (${Math.round(result.durationMs)} ms)`);
    assert.equal(await runOk(shared.sandbox, 'print(kept)'), '1\n');
  });

  it('os.urandom, uuid4 and secrets work (their randomness is set up before the worker is stripped)', async () => {
    assert.equal(
      await runOk(shared.sandbox, 'import os, uuid, secrets\nprint(len(os.urandom(8)), len(str(uuid.uuid4())), len(secrets.token_hex(4)))'),
      '8 36 8\n',
    );
  });

  it('starting a thread is a clear error pointing to the batched calls', async () => {
    for (const code of [
      'import threading\nthreading.Thread(target=print, args=("x",)).start()',
      'import _thread\n_thread.start_new_thread(print, ("x",))',
      'from concurrent.futures import ThreadPoolExecutor\nThreadPoolExecutor(4).submit(print, "x").result()',
    ]) {
      const result = await shared.sandbox.run(code);
      assert.match(
        result.error ?? '',
        /^RuntimeError: threads are not available in this REPL; .*llm_query_batched.*rlm_query_batched/,
        code,
      );
    }
  });

  it('answers that are not strings are str(value), as Python shows them', async () => {
    const cases: Array<[string, string]> = [
      ['FINAL(True)', 'True'],
      ['FINAL([1, 2])', '[1, 2]'],
      ['FINAL(3.5)', '3.5'],
      ["FINAL({'a': 1})", "{'a': 1}"],
      ["FINAL(('x', None))", "('x', None)"],
      ['values = [1, 2]\nFINAL_VAR("values")', '[1, 2]'],
      ['flag = False\nFINAL_VAR("flag")', 'False'],
      ['FINAL_VAR(values)', '[1, 2]'],
    ];
    for (const [code, answer] of cases) assert.equal((await shared.sandbox.run(code)).final, answer, code);
    assert.deepEqual(await shared.sandbox.variable('values'), { found: true, value: '[1, 2]' });
    assert.deepEqual(await shared.sandbox.variable('flag'), { found: true, value: 'False' });
  });

  it('context_0 keeps the context as loaded (the same object) when context is reassigned', async () => {
    assert.equal(await runOk(shared.sandbox, 'print(context_0 is context, context_0)'), 'True the context text\n');
    assert.equal(
      await runOk(shared.sandbox, "context = context.upper()\nprint(context, '|', context_0)"),
      'THE CONTEXT TEXT | the context text\n',
    );
    // It comes back in the next cell even if model code rebinds or deletes it.
    await runOk(shared.sandbox, 'del context_0');
    assert.equal(await runOk(shared.sandbox, 'print(context_0)'), 'the context text\n');
    const shown = await runOk(shared.sandbox, 'SHOW_VARS()');
    assert.ok(shown.includes('  context: str, 16 chars\n'), shown);
    assert.ok(shown.includes('  context_0: str, 16 chars (the context as loaded)\n'), shown);
    assert.equal((await shared.sandbox.run('FINAL_VAR("context_0")')).final, 'the context text');
    const missing = await shared.sandbox.variable('nope');
    assert.ok(!missing.found && !missing.names.includes('context_0'), 'not among the variables named to the model');
    // While context is the original, SHOW_VARS does not list the same text twice.
    await runOk(shared.sandbox, 'context = context_0');
    assert.ok(!(await runOk(shared.sandbox, 'SHOW_VARS()')).includes('context_0'));
  });

  it('rlm_query and rlm_query_batched take a model, sent as the call options', async () => {
    const from = shared.recorded.calls.length;
    await runOk(
      shared.sandbox,
      "rlm_query('one', model='small')\nrlm_query('two', 'ctx', model='big')\nrlm_query_batched(['three', 'four'], model='small')\nrlm_query('five')",
    );
    const calls = shared.recorded.calls.slice(from).map((c) => [c.prompt, c.context, c.options]);
    calls.sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.deepEqual(calls, [
      ['five', undefined, {}],
      ['four', undefined, { model: 'small' }],
      ['one', undefined, { model: 'small' }],
      ['three', undefined, { model: 'small' }],
      ['two', 'ctx', { model: 'big' }],
    ]);
    assert.match((await shared.sandbox.run("rlm_query('x', model=3)")).error ?? '', /^TypeError: rlm_query: model must be a string/);
  });
});

describe('Python REPL: a cell that times out on its calls', () => {
  const shared = sharedSandbox('python', { context: 'the context text', cellTimeoutMs: 30_000 });

  it('gives one clear error, even when model code catches the failure of its call', async () => {
    for (const code of [
      "llm_query('HANG')",
      "try:\n    llm_query('HANG')\nexcept Exception as error:\n    print('caught', error)\n    llm_query('HANG again')",
    ]) {
      const result = await shared.sandbox.run(code, { timeoutMs: 400 });
      assert.equal(result.error, 'TimeoutError: the cell was still waiting on sub-calls after 400 ms and was stopped', code);
      assert.equal(result.output, '', code);
      assert.equal(result.restarted, false);
    }
  });

  it('a batch of 400,000 calls stops at the limit, without freezing the REPL, and every call it made is ended', async () => {
    const from = shared.recorded.calls.length;
    const started = performance.now();
    const result = await shared.sandbox.run("out = llm_query_batched(['HANG %d' % i for i in range(400_000)])", { timeoutMs: 5000 });
    assert.match(result.error ?? '', /^TimeoutError: the cell was still (waiting on sub-calls|computing) after 5000 ms and was stopped$/);
    assert.equal(result.restarted, false);
    assert.ok(performance.now() - started < 20_000, `stopped (${Math.round(performance.now() - started)} ms)`);
    const calls = shared.recorded.calls.slice(from);
    assert.ok(calls.length > 0 && calls.length <= 32, `${calls.length} calls at the host at once at most`);
    await sleep(20);
    for (const call of calls) assert.equal(call.signal.aborted, true);
    assert.ok(
      calls.every((c) => c.outcome?.ok === false),
      'the bridge saw every abort',
    );
    assert.equal(await runOk(shared.sandbox, "print(llm_query('next'))"), 'answer:next\n');
  });

  it('a batch larger than the calls one cell may have gives errors for the rest, in their slots', async () => {
    const output = await runOk(
      shared.sandbox,
      "out = llm_query_batched(['q'] * 10_100)\nprint(sum(a == 'answer:q' for a in out), out[-1][:40])",
      30_000,
    );
    assert.match(output, /^10032 Error: too many calls at once/);
  });
});
